"""Each page lists every script once.

sphinx-thebe adds its inline configuration (``const THEBE_JS_URL = ...``) each time
the environment reads documents, and Jupyter Book reads them in more than one pass,
so every page carried the declaration twice and the browser threw "Identifier
'THEBE_JS_URL' has already been declared". This drops repeated scripts from each
page's context before the page is written.
"""


def unique_scripts(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(getattr(script, "filename", script) or ""),  # None and "": inline
               tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", unique_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
