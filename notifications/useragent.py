"""A device's label from its browser's user agent: browser and platform, nothing more, so a
person can tell their phone from their laptop on the notifications page."""

from __future__ import annotations

from django.utils.translation import gettext as _

# Order matters: Edge and Samsung Internet also say "Chrome", Chrome also says "Safari".
BROWSERS = [("Edg/", "Edge"), ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"),
            ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"), ("Safari/", "Safari")]
PLATFORMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
             ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
             ("Linux", "Linux")]


def label(user_agent: str) -> str:
    browser = next((name for token, name in BROWSERS if token in user_agent), None)
    platform = next((name for token, name in PLATFORMS if token in user_agent), None)
    if browser and platform:
        return _("%(browser)s on %(platform)s") % {"browser": browser, "platform": platform}
    return browser or platform or _("Unknown browser")
