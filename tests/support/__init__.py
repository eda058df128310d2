"""What the tests (and the benchmarks) need around the app.

A Streamlit server and a simulated class speaking its websocket (classroom.py, and the
class quiz's answers in class_quiz_load.py), a throwaway PostgreSQL (postgres.py), how
Chromium is started (chromium.py) and the outbound-traffic guard (outbound_guard/).
"""
