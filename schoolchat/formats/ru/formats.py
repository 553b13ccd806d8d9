# "8 декабря 2026, 22:20": Django's own adds the abbreviation of "year" with its full stop, a
# second full stop where the date ends a sentence.
DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
