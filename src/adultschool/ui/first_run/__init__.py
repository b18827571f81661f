"""The first-run wizard (wizard.py) and its pages, one module per page or pair of pages; page.py has what they share."""
