"""What a link holds: its parameters parsed (params), Streamlit's binding and its repairs (bound),
older link forms (old_forms), the sitemap, share links and user text shown exactly (literal)."""
