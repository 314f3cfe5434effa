"""`linegroup serve`: a local web page to check, correct and export a chart's lines.

Needs the extra: pip install "linegroup[web]" (Starlette, uvicorn, python-multipart).
server.py is the app and its routes, sessions.py the session store, edits.py the
corrections of a label mask with undo and redo, static/ the page (no build step, no CDN).
"""

INSTALL_HINT = 'linegroup serve needs the extra: pip install "linegroup[web]"'
