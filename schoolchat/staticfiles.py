"""Static files in production: hashed names, compressed, and ES module imports rewritten.

The chat page's modules import each other (``import { Renderer } from "./render.js"``). With
plain manifest storage those imports keep the unhashed names, so for a while after a deploy a
browser could combine a cached old module with a new one. Django rewrites the imports to the
hashed names when ``support_js_module_import_aggregation`` is on.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    support_js_module_import_aggregation = True
