"""The patterns every new school starts with, per language, and why each is narrow.

A flag costs the lead a look, so a default matches what is rarely meant harmlessly: "kill
myself", not "kill" ("kill time", "this homework is killing me" are everyday speech); "I'll
hurt you", not "hurt"; "have sex", not "sex" (sex education is taught). Personal data is
flagged in groups, where everyone reads it: phone
numbers of 9 to 14 digits (a date or a time has fewer), e-mail addresses, and street
addresses written the way each language writes them. A link to a web address the school
allows (``SafeguardingSettings.allowed_url_hosts``) is read past, digits and all.

Each entry is (category, kind, text); ``words`` match as whole words in any case,
``regex`` are Python regular expressions, matched in any case as well, run on RE2
(:mod:`safeguarding.engine`): no lookaround but a fixed one at either edge, and every ``\b``
beside something that is surely a letter or surely not.
"""

from __future__ import annotations

from typing import Final

SELF_HARM: Final = "self_harm"
BULLYING: Final = "bullying"
SEXUAL: Final = "sexual"
PERSONAL_DATA: Final = "personal_data"
WORDS: Final = "words"
REGEX: Final = "regex"

# Written once, used in every language's list.
PHONE = r"(?<![\w+])(?:\+|00)?\d(?:[ ()-]?\d){8,13}(?![\w])"
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"

DEFAULTS: Final[dict[str, list[tuple[str, str, str]]]] = {
    "en": [
        (SELF_HARM, REGEX, r"\bkill(?:ing)? my ?self\b"),
        (SELF_HARM, REGEX, r"\b(?:hurt|hurting|cut|cutting|harm|harming) my ?self\b"),
        (SELF_HARM, WORDS, "suicide"),
        (SELF_HARM, REGEX, r"\bi (?:want|wanna) to die\b"),
        (SELF_HARM, REGEX, r"\bend (?:it all|my life)\b"),
        (SELF_HARM, REGEX, r"\bdon'?t want to (?:live|be alive)\b"),
        (BULLYING, REGEX, r"\bi(?:'ll| will| am going to|'m gonna) (?:kill|hurt|beat up|get) you\b"),
        (BULLYING, REGEX, r"\bnobody (?:likes|wants) you\b"),
        (BULLYING, REGEX, r"\byou(?:'re| are) (?:ugly|fat|worthless|a loser)\b"),
        (BULLYING, REGEX, r"\bgo (?:and )?die\b"),
        (BULLYING, REGEX, r"\bkill your ?self\b"),
        (SEXUAL, WORDS, "nudes"),
        (SEXUAL, REGEX, r"\bsend (?:me )?(?:a )?(?:naked|nude) (?:pic|pics|photo|photos|picture)s?\b"),
        (SEXUAL, REGEX, r"\b(?:have sex|sex with)\b"),
        (SEXUAL, WORDS, "porn"),
        (PERSONAL_DATA, REGEX, PHONE),
        (PERSONAL_DATA, REGEX, EMAIL),
        (PERSONAL_DATA, REGEX,
         r"\b\d{1,4}[a-z]?,? [a-z][\w'-]+(?: [a-z][\w'-]+)? "
         r"(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|crescent|way)\b"),
    ],
    "nl": [
        (SELF_HARM, WORDS, "zelfmoord"),
        (SELF_HARM, REGEX, r"\bmezelf (?:iets )?(?:aandoen|snijden|pijn doen)\b"),
        (SELF_HARM, REGEX, r"\bik wil (?:dood|niet meer leven)\b"),
        (SELF_HARM, REGEX, r"\ber een einde aan maken\b"),
        (BULLYING, REGEX, r"\bik (?:maak|sla) je (?:af|dood|in elkaar)\b"),
        (BULLYING, REGEX, r"\bniemand (?:vindt|wil) je\b"),
        (BULLYING, REGEX, r"\bje bent (?:lelijk|dik|waardeloos|een loser)\b"),
        # "Ga dood" said to someone; not "ik ga dood van het lachen" (I'm dying of laughter).
        (BULLYING, REGEX, r"(?<!ik )\bga (?:toch |maar )?dood\b(?!\svan\b)"),
        (SEXUAL, WORDS, "nudes"),
        (SEXUAL, REGEX, r"\bnaakt ?foto(?:'?s)?\b"),
        (SEXUAL, REGEX, r"\b(?:seks (?:met|hebben)|(?:hebben|doen) seks)\b"),
        (SEXUAL, WORDS, "porno"),
        (PERSONAL_DATA, REGEX, PHONE),
        (PERSONAL_DATA, REGEX, EMAIL),
        (PERSONAL_DATA, REGEX,
         r"\b[a-z][\w'-]*(?:straat|laan|weg|plein|gracht|singel|dijk|kade|hof|pad) \d{1,4}(?:\s?[a-z])?\b"),
        # A postcode in capitals ("1234 AB"): lower-case letters after four digits are words.
        (PERSONAL_DATA, REGEX, r"\b[1-9]\d{3} ?(?-i:[A-Z]{2})\b"),
    ],
    "ru": [
        (SELF_HARM, REGEX, r"\bпокончить с собой\b"),
        (SELF_HARM, REGEX, r"\b(?:убить|убью|порезать|порежу) себя\b"),
        (SELF_HARM, REGEX, r"\bсуицид\w*"),
        (SELF_HARM, REGEX, r"\bне хочу (?:больше )?жить\b"),
        (SELF_HARM, REGEX, r"\bхочу умереть\b"),
        (BULLYING, REGEX, r"\b(?:убью|побью|урою) тебя\b"),
        (BULLYING, REGEX, r"\bникто тебя не (?:любит|хочет)\b"),
        (BULLYING, REGEX, r"\bты (?:урод|уродина|жирный|жирная|ничтожество|лузер)\b"),
        (BULLYING, REGEX, r"\bиди умри\b"),
        (SEXUAL, REGEX, r"\b(?:заняться сексом|секс с)\b"),
        (SEXUAL, WORDS, "нюдсы"),
        (SEXUAL, REGEX, r"\bголы[ехй]\w* фот\w*"),
        (SEXUAL, WORDS, "порно"),
        (PERSONAL_DATA, REGEX, PHONE),
        (PERSONAL_DATA, REGEX, EMAIL),
        (PERSONAL_DATA, REGEX,
         r"(?:\bул\.|\bулица|\bпроспект|\bпр-т|\bпереулок|\bпер\.)\s*[\w-]+,?\s*(?:д\.|дом)?\s*\d{1,4}"),
    ],
}
