# "8 dec. 2026 22:20" (the month's abbreviation is schoolchat.formats.MONTHS_AP, translated).
DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d-m-Y"
SHORT_DATETIME_FORMAT = "d-m-Y H:i"
