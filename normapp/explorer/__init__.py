"""The Explorer page's parts: controls and link rules, presets, the presenter view, the sets'
descriptions and statistics, the element walkthrough, the after-check and downloads."""
