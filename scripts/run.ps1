# Windows: sets up .venv and starts the program's window (a demo school is offered if no database exists yet).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
if (-not (Test-Path ".venv\Scripts\python.exe")) { py -3 -m venv .venv }
py -3 scripts\lock.py check
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\python.exe -m pip install -q --require-hashes -r requirements.lock
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\python.exe -m pip install -q --no-deps -e .
.venv\Scripts\adultschool.exe gui @args
