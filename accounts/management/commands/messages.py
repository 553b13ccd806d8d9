"""`make messages`: refresh every app's translation catalogues and compile them.

Django's makemessages files a string in the `locale/` folder of the app its source file sits in,
and everything else in LOCALE_PATHS. Our templates live in `templates/<app>/`, outside the
apps, so plain makemessages would put their strings in a root catalogue and leave them obsolete
in the apps' catalogues (and msgmerge would guess fuzzy translations for the new ones). This
command extracts the same way, but files every source under the catalogue it belongs to:

- `<app>/` and `templates/<app>/` in `<app>/locale/`;
- the sources outside every app in the catalogue named in ``ELSEWHERE``.

A new string is left untranslated, never guessed from a similar one (no fuzzy matching), unless
another catalogue of the same language already translates exactly that string. Strings no longer
in the sources stay in the catalogue as obsolete (``#~``) entries, translation included. Then the
`.mo` files are compiled. The catalogues of languages other than LANGUAGE_CODE are refreshed
unless ``-l`` names some.

JavaScript gets its strings from translated ``data-text-*`` attributes in the templates, so there
is no ``djangojs`` domain.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import compilemessages, makemessages

# Sources outside every app, and the app whose catalogue holds their strings.
ELSEWHERE = {
    "schoolchat/": "accounts",
    "templates/base.html": "accounts",
    "templates/registration/": "accounts",
}
# Written into a new catalogue's header (Django's own ru catalogue has a 4th, unused form).
PLURAL_FORMS = {
    "nl": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
          "(n%100<10 || n%100>=20) ? 1 : 2);",
}
_POT_DATE = re.compile(r'^"POT-Creation-Date: .*\\n"\n', re.M)


def _fuzzy(catalogue: str) -> int:
    """How many entries of a catalogue, its header aside, are marked fuzzy."""
    return sum(bool(re.search(r"^#,.*\bfuzzy\b", entry, re.M)) for entry in catalogue.split("\n\n")[1:])


class Command(makemessages.Command):
    help = ("Extract the marked strings of each app and its templates/<app>/ into "
            "<app>/locale/, keeping every translation, then compile the catalogues.")
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
    # consent/defaults.py marks its strings with gettext_noop imported as N_.
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]

    def handle(self, *args: Any, **options: Any) -> None:
        if options["domain"] != "django":
            raise CommandError("only the django domain: JavaScript's strings are in the templates")
        self.base = Path(settings.BASE_DIR).resolve()
        # The project's apps, each a folder of the project root (not Django's, nor a virtualenv's).
        self.apps = {
            config.label: Path(config.path).resolve()
            for config in apps.get_app_configs()
            if Path(config.path).resolve().parent == self.base
        }
        options["locale"] = options["locale"] or [
            code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE
        ]
        options["add_location"] = options["add_location"] or "file"
        self.catalogues: set[Path] = set()
        cwd = Path.cwd()
        os.chdir(self.base)  # so that the locations in the catalogues are relative to it
        try:
            super().handle(*args, **options)
            self.compile(options["locale"])
        finally:
            os.chdir(cwd)

    def catalogue_of(self, path: str) -> Path | None:
        """The app whose catalogue holds the strings of `path` (relative to the project)."""
        parts = Path(path).parts
        for prefix, label in ELSEWHERE.items():
            if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
                return self.apps[label]
        if len(parts) > 2 and parts[0] == "templates" and parts[1] in self.apps:
            return self.apps[parts[1]]
        return next((app for app in self.apps.values() if (self.base / path).is_relative_to(app)), None)

    def find_files(self, root: str) -> list[makemessages.TranslatableFile]:
        apps = (str(path.relative_to(self.base)) for path in self.apps.values())
        tops = sorted({"schoolchat", "templates", *apps})
        files = []
        for top in tops:
            if (self.base / top).is_dir():
                files.extend(super().find_files(os.path.join(root, top)))
        homeless = []
        for file in files:
            app = self.catalogue_of(os.path.normpath(file.path))
            if app is None:
                homeless.append(os.path.normpath(file.path))
            else:
                file.locale_dir = str(app / "locale")
        if homeless:
            raise CommandError("no catalogue for " + ", ".join(homeless) + ": add it to ELSEWHERE in "
                               + __name__.replace(".", "/") + ".py")
        self.locale_paths = sorted({str(file.locale_dir) for file in files})
        return sorted(files)

    def process_locale_dir(self, locale_dir: str, files: list[makemessages.TranslatableFile]) -> None:
        os.makedirs(locale_dir, exist_ok=True)  # an app's first catalogue
        super().process_locale_dir(locale_dir, files)

    def write_po_file(self, potfile: str, locale: str) -> None:
        pofile = Path(potfile).parent / locale / "LC_MESSAGES" / f"{self.domain}.po"
        before = pofile.read_text(encoding="utf-8") if pofile.exists() else None
        if before is None:
            # Start from the template so that msgmerge below fills in what other catalogues know.
            pofile.parent.mkdir(parents=True, exist_ok=True)
            pofile.write_text(self.copy_plural_forms(Path(potfile).read_text(encoding="utf-8"), locale),
                              encoding="utf-8")
        others = sorted(
            str(po) for app in self.apps.values()
            for po in [app / "locale" / locale / "LC_MESSAGES" / f"{self.domain}.po"]
            if po.exists() and po != pofile
        )
        plain = self.msgmerge_options
        self.msgmerge_options = [*plain, *(f"--compendium={po}" for po in others)]
        try:
            super().write_po_file(potfile, locale)
        finally:
            self.msgmerge_options = plain
        after = pofile.read_text(encoding="utf-8")
        if _fuzzy(after) > _fuzzy(before or ""):
            raise CommandError(f"{pofile} got a fuzzy entry, but nothing should be guessed")
        if before is not None and _POT_DATE.sub("", after) == _POT_DATE.sub("", before):
            pofile.write_text(before, encoding="utf-8")  # unchanged: keep the date too
        self.catalogues.add(pofile)

    def copy_plural_forms(self, msgs: str, locale: str) -> str:
        # msgfmt ignores a header marked fuzzy, and with it the charset and the plural forms.
        msgs = msgs.replace('#, fuzzy\nmsgid ""\n', 'msgid ""\n', 1)
        msgs = msgs.replace('"Language: \\n"', f'"Language: {locale}\\n"', 1)
        if locale in PLURAL_FORMS:
            header = f'"Plural-Forms: {PLURAL_FORMS[locale]}\\n"'
            return re.sub(r'^"Plural-Forms: .*\\n"$', lambda _match: header, msgs, count=1, flags=re.M)
        return super().copy_plural_forms(msgs, locale)

    def compile(self, locales: list[str]) -> None:
        compiler = compilemessages.Command()
        compiler.stdout, compiler.stderr = self.stdout, self.stderr
        compiler.verbosity = self.verbosity
        compiler.has_errors = False
        compiler.compile_messages([
            (po.parent, po.name) for po in sorted(self.catalogues) if po.parts[-3] in locales
        ])
        if compiler.has_errors:
            raise CommandError("compiling the catalogues failed")
