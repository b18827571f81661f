# Windows: sets up .venv from requirements.lock (the test tools are in it) and runs the whole suite (lint rules, layering contracts, types, then pytest).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
if (-not (Test-Path ".venv\Scripts\python.exe")) { py -3 -m venv .venv }
py -3 scripts\lock.py check
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\python.exe -m pip install -q --require-hashes -r requirements.lock
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\python.exe -m pip install -q --no-deps -e .
$env:QT_QPA_PLATFORM = "offscreen"
.venv\Scripts\ruff.exe check src tests bench installer scripts
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\lint-imports.exe
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\mypy.exe
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
.venv\Scripts\python.exe -m pytest @args
exit $LASTEXITCODE
