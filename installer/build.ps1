# Windows: builds installer\dist\adultschool-<version>-setup.exe, as installer/build does on Linux.
# Needs: Python 3.11 from python.org (the `py` launcher), NSIS 3.08 or newer (nsis.sourceforge.io).
# The embeddable Python's signatures are checked with osslsigncode when it is on PATH, else with
# PowerShell's Get-AuthenticodeSignature. Arguments go to build.py (e.g. -- --compress lzma).
# Not yet run on a real Windows machine: see installer/README.md.
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
if (-not (Get-Command makensis -ErrorAction SilentlyContinue)) {
    foreach ($dir in @("${env:ProgramFiles(x86)}\NSIS", "$env:ProgramFiles\NSIS")) {
        if (Test-Path "$dir\makensis.exe") { $env:PATH = "$dir;$env:PATH"; break }
    }
}
if (-not (Get-Command makensis -ErrorAction SilentlyContinue)) { throw "makensis not found: install NSIS 3.08+" }
# A 3.11 virtual environment of its own: build.py writes .pyc files for the embedded CPython 3.11.
if (-not (Test-Path "installer\work\venv\Scripts\python.exe")) { py -3.11 -m venv installer\work\venv }
installer\work\venv\Scripts\python.exe -m pip install -q --upgrade pip
installer\work\venv\Scripts\python.exe installer\build.py @args
exit $LASTEXITCODE
