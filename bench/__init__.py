"""Benchmarks for frontdesk: figures, not tests. See docs/performance.md.

.venv/bin/python -m bench.chat_throughput --backend sqlite|postgres|both
"""
