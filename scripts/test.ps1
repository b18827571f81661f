# Windows: sets up .venv with the test extras and runs the whole suite (lint rules, layering contracts, then pytest).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
if (-not (Test-Path ".venv\Scripts\python.exe")) { py -3 -m venv .venv }
.venv\Scripts\python.exe -m pip install -q --upgrade pip
.venv\Scripts\python.exe -m pip install -q -e ".[test]"
$env:QT_QPA_PLATFORM = "offscreen"
.venv\Scripts\ruff.exe check src tests
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\lint-imports.exe
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\python.exe -m pytest @args
exit $LASTEXITCODE
