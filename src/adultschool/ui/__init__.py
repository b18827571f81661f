"""The PySide6 desktop GUI (zh_CN): main window, pages, dialogs, table models and background operations.

Widgets collect input and show results; every rule and every query lives in `adultschool.services`.
"""
