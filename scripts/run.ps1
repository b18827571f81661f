# Windows: sets up .venv and starts the program's window (a demo school is offered if no database exists yet).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
if (-not (Test-Path ".venv\Scripts\python.exe")) { py -3 -m venv .venv }
.venv\Scripts\python.exe -m pip install -q --upgrade pip
.venv\Scripts\python.exe -m pip install -q -e .
.venv\Scripts\adultschool.exe gui @args
