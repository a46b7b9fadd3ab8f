# Sourced by scripts/venv.sh and .ci/run. find_python NAME prints a runnable
# interpreter for NAME (a command such as python3.13, or a path), or fails.
# A pyenv shim on PATH answers to python3.12 even when no pyenv version
# selects it (it then exits 127), so for a bare pythonX.Y that does not run,
# pyenv's installed X.Y.* versions are tried, newest last in the glob.
find_python() {
  local want="$1" found="" candidate root
  if "$want" -c "import sys" >/dev/null 2>&1; then
    command -v "$want" 2>/dev/null || echo "$want"
    return 0
  fi
  case "$want" in
    python3.*)
      root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
      for candidate in "$root/versions/${want#python}".*/bin/"$want"; do
        if [ -x "$candidate" ] && "$candidate" -c "import sys" >/dev/null 2>&1; then
          found="$candidate"
        fi
      done
      ;;
  esac
  [ -n "$found" ] && echo "$found"
}

# python_version INTERPRETER prints its X.Y.
python_version() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
}
