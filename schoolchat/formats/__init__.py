"""How each language writes dates and times (``FORMAT_MODULE_PATH``): a day, an abbreviated
month and a 24-hour time, "8 Dec 2026 22:20", "8 dec. 2026 22:20", "8 декабря 2026, 22:20".
Django's own English formats end in "p.m.", which doubled the full stop of any sentence a date
closes; these never end in one. What a module here leaves out, Django's own module gives.

Dutch abbreviates a month with a full stop ("dec.", but "mei"), which Django's Dutch
catalogue does not: the "N" month names are translated again in this project's catalogue
(an app's catalogue takes precedence over Django's), so these strings are marked here.
"""

from django.utils.translation import pgettext_lazy

MONTHS_AP = (
    pgettext_lazy("abbrev. month", "Jan."),
    pgettext_lazy("abbrev. month", "Feb."),
    pgettext_lazy("abbrev. month", "March"),
    pgettext_lazy("abbrev. month", "April"),
    pgettext_lazy("abbrev. month", "May"),
    pgettext_lazy("abbrev. month", "June"),
    pgettext_lazy("abbrev. month", "July"),
    pgettext_lazy("abbrev. month", "Aug."),
    pgettext_lazy("abbrev. month", "Sept."),
    pgettext_lazy("abbrev. month", "Oct."),
    pgettext_lazy("abbrev. month", "Nov."),
    pgettext_lazy("abbrev. month", "Dec."),
)
