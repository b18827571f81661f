"""python -m adultschool → the command line."""
from adultschool.cli import main

raise SystemExit(main())
