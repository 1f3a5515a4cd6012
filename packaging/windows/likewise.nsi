; Likewise for Windows: an installer around the PyInstaller folder (dist\likewise).
;
;   makensis /DVERSION=0.1.0 packaging\windows\likewise.nsi
;       -> dist\likewise-0.1.0-windows-x64-setup.exe
;
; Defines (all optional): VERSION, PAYLOAD (the folder to install, default
; ..\..\dist\likewise), OUTFILE. Paths are relative to this script's folder.
; Installs into Program Files\Likewise: Likewise.exe (the window, no console),
; likewise-cli.exe (the command line), _internal\; a Start-menu entry; an uninstaller
; listed in Apps & features; and "Find similar with Likewise" in Explorer's context menu
; of .pdf and .docx files, which runs `Likewise.exe --similar "FILE"`.

Unicode true
!include "MUI2.nsh"

!ifndef VERSION
  !define VERSION "0.1.0"
!endif
!ifndef PAYLOAD
  !define PAYLOAD "..\..\dist\likewise"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\..\dist\likewise-${VERSION}-windows-x64-setup.exe"
!endif
!define ICON "..\..\resources\icons\likewise.ico"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Likewise"
!define VERB_NAME "LikewiseFindSimilar"

Name "Likewise"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\Likewise"
InstallDirRegKey HKLM "Software\Likewise" "InstallDir"
RequestExecutionLevel admin
SetCompressor /SOLID lzma
ManifestDPIAware true
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "Likewise"
VIAddVersionKey "FileDescription" "Likewise installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MIT licence"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\Likewise.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Start Likewise"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

!macro FindSimilarVerb EXT
  WriteRegStr HKLM "Software\Classes\SystemFileAssociations\${EXT}\shell\${VERB_NAME}" "" "Find similar with Likewise"
  WriteRegStr HKLM "Software\Classes\SystemFileAssociations\${EXT}\shell\${VERB_NAME}" "Icon" "$INSTDIR\Likewise.exe,0"
  WriteRegStr HKLM "Software\Classes\SystemFileAssociations\${EXT}\shell\${VERB_NAME}\command" "" '"$INSTDIR\Likewise.exe" --similar "%1"'
!macroend

Section "Likewise" SecMain
  SectionIn RO
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  File "/oname=likewise.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateDirectory "$SMPROGRAMS\Likewise"
  CreateShortcut "$SMPROGRAMS\Likewise\Likewise.lnk" "$INSTDIR\Likewise.exe" "" "$INSTDIR\likewise.ico"
  CreateShortcut "$SMPROGRAMS\Likewise\Uninstall Likewise.lnk" "$INSTDIR\Uninstall.exe"

  !insertmacro FindSimilarVerb ".pdf"
  !insertmacro FindSimilarVerb ".docx"

  WriteRegStr HKLM "Software\Likewise" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "Likewise"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "Likewise"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\likewise.ico"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext all
  DeleteRegKey HKLM "Software\Classes\SystemFileAssociations\.pdf\shell\${VERB_NAME}"
  DeleteRegKey HKLM "Software\Classes\SystemFileAssociations\.docx\shell\${VERB_NAME}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DeleteRegKey HKLM "Software\Likewise"
  Delete "$SMPROGRAMS\Likewise\Likewise.lnk"
  Delete "$SMPROGRAMS\Likewise\Uninstall Likewise.lnk"
  RMDir "$SMPROGRAMS\Likewise"
  ; Only what the installer put there: never a folder the user chose to share.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\Likewise.exe"
  Delete "$INSTDIR\likewise-cli.exe"
  Delete "$INSTDIR\likewise.ico"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
