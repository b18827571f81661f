; The Windows installer of adultschool: 64-bit Windows 10/11, per user, no administrator rights.
; Built by installer/build, which stages the files and calls:
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DVERSION4=0.1.0.0 -DSTAGE=…/work/stage -DOUTFILE=…setup.exe adultschool.nsi
; Layout under $INSTDIR (default %LOCALAPPDATA%\Programs\adultschool):
;   python\               Python's embeddable distribution; python\Lib\site-packages holds the app and its wheels
;   adultschool.cmd       the command line (`adultschool --help`), adultschool-shell.cmd a console where it works
;   uninstall.exe         registered under HKCU\…\Uninstall\adultschool
; The user's data (database, keys, backups, logs) live in %LOCALAPPDATA%\adultschool (platformdirs), which
; neither an upgrade nor the uninstaller ever touches.

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
!ifndef COMPRESSOR
  !define COMPRESSOR lzma
!endif
SetCompressor /SOLID ${COMPRESSOR}
!if ${COMPRESSOR} == lzma
  SetCompressorDictSize 32
!endif

!ifdef VERSION & VERSION4 & STAGE & OUTFILE
!else
  !error "VERSION, VERSION4, STAGE and OUTFILE come from installer/build"
!endif

!define APP "adultschool"
!define TITLE "成人“双证制”学历提升教务"
!define PUBLISHER "adultschool"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP}"
!define APP_KEY "Software\${APP}"
!define GUI_EXE "$INSTDIR\python\pythonw.exe"
!define GUI_ARGS "-X utf8 -m adultschool.ui.app"
; signing (installer/sign-file, when installer/build is given ADULTSCHOOL_SIGN_PKCS12)
!ifdef SIGN
  !finalize '"${SIGN}" "%1"'
  !uninstfinalize '"${SIGN}" "%1"'
!endif

Name "${TITLE}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${APP_KEY}" "InstallDir"
BrandingText "${APP} ${VERSION}"
ShowInstDetails nevershow
ShowUninstDetails nevershow

!include MUI2.nsh
!include LogicLib.nsh
!include x64.nsh
!include WinVer.nsh
!include FileFunc.nsh

!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_PARAMETERS "${GUI_ARGS}"
!define MUI_FINISHPAGE_RUN_TEXT "现在启动 ${TITLE}"
!insertmacro MUI_PAGE_FINISH
!define MUI_UNCONFIRMPAGE_TEXT_TOP "卸载只删除程序文件。学员数据、密钥、备份和日志保存在 $LOCALAPPDATA\${APP}，不会被删除；重新安装后可以继续使用。"
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductName" "${TITLE}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileDescription" "${TITLE} ${VERSION} 安装程序"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "LegalCopyright" "${PUBLISHER}"

Function .onInit
  SetShellVarContext current
  SetRegView 64
  ${IfNot} ${RunningX64}
  ${OrIfNot} ${AtLeastBuild} 17763
    MessageBox MB_ICONSTOP "${TITLE} 需要 64 位的 Windows 10（1809 或更新）或 Windows 11。" /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
FunctionEnd

Function un.onInit
  SetShellVarContext current
  SetRegView 64
FunctionEnd

Section "${TITLE}" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  ; An upgrade replaces the program folder whole, so no module of an older version lingers. Only a folder that
  ; is ours (it holds the app) is removed: a folder chosen by mistake is never emptied.
  ${If} ${FileExists} "$INSTDIR\python\Lib\site-packages\adultschool\__init__.py"
    RMDir /r "$INSTDIR\python"
  ${EndIf}
  File /r "${STAGE}/*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Shortcuts start in the user's profile folder: file dialogs open there, not in the program folder.
  SetOutPath "$PROFILE"
  !ifdef ICON
    !define SHORTCUT_ICON "$INSTDIR\adultschool.ico"
  !else
    !define SHORTCUT_ICON "${GUI_EXE}"
  !endif
  CreateShortCut "$SMPROGRAMS\${TITLE}.lnk" "${GUI_EXE}" "${GUI_ARGS}" "${SHORTCUT_ICON}" 0 \
    SW_SHOWNORMAL "" "${TITLE} ${VERSION}"
  CreateShortCut "$DESKTOP\${TITLE}.lnk" "${GUI_EXE}" "${GUI_ARGS}" "${SHORTCUT_ICON}" 0 \
    SW_SHOWNORMAL "" "${TITLE} ${VERSION}"
  CreateShortCut "$SMPROGRAMS\${TITLE} 命令行.lnk" "$SYSDIR\cmd.exe" '/k "$INSTDIR\adultschool-shell.cmd"' \
    "$SYSDIR\cmd.exe" 0 SW_SHOWNORMAL "" "adultschool 命令行"
  SetOutPath "$INSTDIR"

  WriteRegStr HKCU "${APP_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "${APP_KEY}" "Version" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${TITLE}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "${SHORTCUT_ICON}"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${TITLE}.lnk"
  Delete "$SMPROGRAMS\${TITLE} 命令行.lnk"
  Delete "$DESKTOP\${TITLE}.lnk"
  ; Only what the installer put here. The data folder ($LOCALAPPDATA\${APP}) is not touched.
  RMDir /r "$INSTDIR\python"
  Delete "$INSTDIR\adultschool.cmd"
  Delete "$INSTDIR\adultschool-shell.cmd"
  Delete "$INSTDIR\adultschool.ico"
  Delete "$INSTDIR\idreader32.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "${APP_KEY}"
SectionEnd
