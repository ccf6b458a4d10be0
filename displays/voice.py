"""The hall's voice: Vietnamese speech to WAV files, offline, cached.

Theory of operation
-------------------
Speech comes from libespeak-ng as shipped inside the ``espeakng-loader`` wheel (the library and
its ``espeak-ng-data``, Vietnamese voice included), driven through ctypes. No network, no system
package, no root: ``pip install`` is enough for ``make serve``.

* libespeak-ng keeps global state and is not thread-safe. One :class:`_Espeak` per process is
  created on first use and every call into it holds ``_ENGINE_LOCK``; it is initialised in
  ``AUDIO_OUTPUT_SYNCHRONOUS`` mode, so ``espeak_Synth`` returns only after the synth callback
  has been handed every 16-bit sample.
* An announcement is a chime (three soft decaying sine tones, generated with the stdlib), a short
  silence, then the speech, written as a mono 16-bit WAV with the stdlib ``wave`` module.
* :class:`VoiceCache` synthesises each distinct text once: the file name is a hash of the text,
  the :class:`VoiceSettings` and a format version, so changing a setting never serves a stale
  file. Files are written to a temporary name and renamed, so a reader never sees half a file.
* Synthesis blocks (tens to hundreds of milliseconds): from trio, call
  ``await trio.to_thread.run_sync(cache.announcement_wav, text)``.

If the library or its data cannot be loaded, :class:`VoiceUnavailable` says why; the rest of the
hall keeps working without a voice.
"""

from __future__ import annotations

import array
import ctypes
import dataclasses
import hashlib
import json
import math
import os
import sys
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

__all__ = ["VoiceCache", "VoiceSettings", "VoiceUnavailable", "chime_samples", "synthesize"]

# Bump when the audio produced for the same text and settings changes (chime, layout, format).
_FORMAT_VERSION = 1


class VoiceUnavailable(RuntimeError):
    """The speech engine cannot be used on this machine; the message says why."""


@dataclass(frozen=True)
class VoiceSettings:
    """Everything that changes the sound of an announcement (all part of the cache key)."""

    voice: str = "vi"          # espeak-ng voice name: "vi" (northern), "vi-VN-x-central", "vi-VN-x-south"
    rate: int = 135            # words per minute; espeak's default 175 is too fast for a hall
    pitch: int = 50            # 0-100
    volume: int = 100          # 0-200, 100 is normal
    word_gap: int = 1          # extra pause between words, in units of 10 ms
    chime: bool = True         # play the chime before the speech
    chime_gap: float = 0.25    # seconds of silence between chime and speech


# --- libespeak-ng through ctypes ------------------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # return an error instead of exit() when the data is missing
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_EE_OK = 0
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_WORDGAP = 1, 2, 3, 7

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

_ENGINE_LOCK = threading.Lock()
_engine: _Espeak | None = None
_engine_error: VoiceUnavailable | None = None


class _Espeak:
    """One initialised libespeak-ng. Use only while holding ``_ENGINE_LOCK``."""

    def __init__(self, library_path: str, data_path: str) -> None:
        if not os.path.isfile(library_path):
            raise VoiceUnavailable(f"libespeak-ng not found at {library_path}")
        if not os.path.isdir(data_path):
            raise VoiceUnavailable(f"espeak-ng-data not found at {data_path}")
        try:
            lib = ctypes.CDLL(library_path)
        except OSError as e:
            raise VoiceUnavailable(f"cannot load libespeak-ng from {library_path}: {e}") from e
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int

        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, os.fsencode(data_path), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise VoiceUnavailable(
                f"espeak_Initialize failed ({rate}) with data at {data_path}"
            )
        self.sample_rate = rate
        self._lib = lib
        self._chunks: list[bytes] = []
        self._callback = _SYNTH_CALLBACK(self._on_samples)  # keep a reference: C holds it
        lib.espeak_SetSynthCallback(self._callback)

    def _on_samples(self, wav, numsamples, events) -> int:  # noqa: ARG002 (events unused)
        if wav and numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0  # 0 = go on

    def synth(self, text: str, settings: VoiceSettings) -> bytes:
        """16-bit native-endian mono samples at ``self.sample_rate`` for ``text``."""
        lib = self._lib
        err = lib.espeak_SetVoiceByName(settings.voice.encode())
        if err != _EE_OK:
            raise VoiceUnavailable(f"espeak-ng has no voice {settings.voice!r} (error {err})")
        for param, value in (
            (_PARAM_RATE, settings.rate),
            (_PARAM_VOLUME, settings.volume),
            (_PARAM_PITCH, settings.pitch),
            (_PARAM_WORDGAP, settings.word_gap),
        ):
            lib.espeak_SetParameter(param, value, 0)
        data = text.encode("utf-8") + b"\0"
        self._chunks = []
        err = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE,
                               None, None)
        if err != _EE_OK:
            raise VoiceUnavailable(f"espeak_Synth failed with error {err}")
        lib.espeak_Synchronize()
        samples, self._chunks = b"".join(self._chunks), []
        return samples


def _default_paths() -> tuple[str, str]:
    try:
        import espeakng_loader
    except ImportError as e:
        raise VoiceUnavailable(
            "the espeakng-loader package is not installed (pip install espeakng-loader)"
        ) from e
    try:
        return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
    except RuntimeError as e:  # get_data_path raises when the data folder is missing
        raise VoiceUnavailable(f"espeakng-loader is incomplete: {e}") from e


def _get_engine() -> _Espeak:
    """The process's engine, initialised on first use. Call with ``_ENGINE_LOCK`` held. A failure
    is remembered: a library that cannot load once will not load later in the same process."""
    global _engine, _engine_error
    if _engine is None:
        if _engine_error is not None:
            raise _engine_error
        try:
            _engine = _Espeak(*_default_paths())
        except VoiceUnavailable as e:
            _engine_error = e
            raise
    return _engine


def synthesize(text: str, settings: VoiceSettings = VoiceSettings()) -> tuple[int, bytes]:
    """Speech only (no chime): ``(sample_rate, 16-bit native-endian mono samples)``.
    Thread-safe; blocks while another thread is synthesising."""
    if not text.strip():
        raise ValueError("nothing to say: empty announcement text")
    with _ENGINE_LOCK:
        engine = _get_engine()
        return engine.sample_rate, engine.synth(text, settings)


# --- the chime ------------------------------------------------------------------------------

# Three soft descending tones (G5, E5, C5), the familiar "ding-ding-dong" of public halls.
_CHIME_TONES = ((783.99, 0.30), (659.25, 0.30), (523.25, 0.60))


def chime_samples(sample_rate: int, amplitude: float = 0.28) -> array.array:
    """The chime as 16-bit samples: each tone has a 10 ms attack, an exponential decay and a
    quiet octave overtone, so it sounds like a soft bell rather than a beep."""
    out = array.array("h")
    attack = max(1, int(0.010 * sample_rate))
    for freq, seconds in _CHIME_TONES:
        n = int(seconds * sample_rate)
        decay = 4.0 / seconds
        for i in range(n):
            t = i / sample_rate
            env = min(1.0, i / attack) * math.exp(-decay * t)
            wave_ = math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t)
            out.append(int(32767 * amplitude * env * wave_ / 1.25))
    return out


def _announcement_samples(text: str, settings: VoiceSettings) -> tuple[int, array.array]:
    rate, speech = synthesize(text, settings)
    samples = array.array("h")
    if settings.chime:
        samples.extend(chime_samples(rate))
        samples.extend([0] * int(settings.chime_gap * rate))
    speech_samples = array.array("h")
    speech_samples.frombytes(speech)
    samples.extend(speech_samples)
    return rate, samples


def _write_wav(path: Path, sample_rate: int, samples: array.array) -> None:
    """Write atomically: a temporary file in the same folder, then rename over ``path``."""
    if sys.byteorder == "big":
        samples = array.array("h", samples)
        samples.byteswap()  # WAV is little-endian
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(sample_rate)
            w.writeframes(samples.tobytes())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --- the cache ------------------------------------------------------------------------------


class VoiceCache:
    """WAV files of announcements in ``directory``, one per distinct text and settings.

    ``announcement_wav(text)`` synthesises on the first request and returns the same file
    afterwards; ``synth_count`` counts the syntheses this cache performed. Safe to call from
    several threads; it blocks, so call it from a worker thread under trio.
    """

    def __init__(self, directory: str | os.PathLike[str],
                 settings: VoiceSettings = VoiceSettings()) -> None:
        self.directory = Path(directory)
        self.settings = settings
        self.synth_count = 0
        self._lock = threading.Lock()

    def key(self, text: str) -> str:
        """The cache key of ``text``: a hash of the text, the settings and the format version."""
        blob = json.dumps(
            {"format": _FORMAT_VERSION, "text": text, "settings": dataclasses.asdict(self.settings)},
            ensure_ascii=False, sort_keys=True,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]

    def path_for(self, text: str) -> Path:
        return self.directory / f"{self.key(text)}.wav"

    def announcement_wav(self, text: str) -> Path:
        """The WAV (chime then speech) for ``text``; synthesised once, then served from disk.
        Raises :class:`VoiceUnavailable` if the engine cannot be used."""
        path = self.path_for(text)
        if path.is_file():
            return path
        with self._lock:
            if path.is_file():  # another thread made it while we waited
                return path
            self.directory.mkdir(parents=True, exist_ok=True)
            rate, samples = _announcement_samples(text, self.settings)
            _write_wav(path, rate, samples)
            self.synth_count += 1
        return path
