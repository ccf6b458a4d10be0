"""The offline voice: real libespeak-ng from espeakng-loader, WAV files, the cache."""

import array
import threading
import wave

import pytest

from displays import voice
from displays.vi_numbers import announcement_text
from displays.voice import VoiceCache, VoiceSettings, VoiceUnavailable, chime_samples
from support.waits import WAIT


def read_wav(path):
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        rate = w.getframerate()
        samples = array.array("h")
        samples.frombytes(w.readframes(w.getnframes()))
    return rate, samples


def rms(samples):
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5


def test_a_call_is_spoken_to_a_valid_wav_with_chime_then_speech(tmp_path):
    cache = VoiceCache(tmp_path)
    path = cache.announcement_wav(announcement_text("A023", 12))
    rate, samples = read_wav(path)
    assert rate >= 8000
    assert len(samples) / rate > 0.5
    chime = chime_samples(rate)
    assert samples[: len(chime)] == chime
    speech = samples[len(chime) + int(cache.settings.chime_gap * rate):]
    assert len(speech) / rate > 2.0  # a whole sentence, not a blip
    assert rms(speech) > 300 and max(abs(s) for s in speech) > 3000


def test_speech_without_chime(tmp_path):
    cache = VoiceCache(tmp_path, VoiceSettings(chime=False))
    rate, samples = read_wav(cache.announcement_wav("Mời ông bà có số thứ tự một"))
    assert len(samples) / rate > 0.5
    assert rms(samples[: rate // 2]) > 0 and max(samples) > 3000


def test_the_cache_returns_the_same_file_without_synthesising_again(tmp_path):
    cache = VoiceCache(tmp_path)
    text = announcement_text("1023", 5)
    first = cache.announcement_wav(text)
    mtime = first.stat().st_mtime_ns
    second = cache.announcement_wav(text)
    assert second == first
    assert second.stat().st_mtime_ns == mtime
    assert cache.synth_count == 1
    # after a restart, the files on disk are still used
    restarted = VoiceCache(tmp_path)
    assert restarted.announcement_wav(text) == first
    assert restarted.synth_count == 0


def test_different_texts_and_settings_get_different_files(tmp_path):
    cache = VoiceCache(tmp_path)
    a = cache.announcement_wav(announcement_text("A001", 1))
    b = cache.announcement_wav(announcement_text("A002", 1))
    slower = VoiceCache(tmp_path, VoiceSettings(rate=110)).announcement_wav(
        announcement_text("A001", 1)
    )
    assert len({a, b, slower}) == 3
    assert cache.synth_count == 2
    assert not list(tmp_path.glob(".tmp-*"))  # no half-written files left behind


def test_threads_may_ask_for_voices_at_once(tmp_path):
    cache = VoiceCache(tmp_path)
    texts = [announcement_text(f"A{i:03}", i) for i in range(1, 7)] * 2
    paths, errors = {}, []

    def work(t):
        try:
            paths[t] = cache.announcement_wav(t)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads), "a voice was never made"
    assert not errors
    assert cache.synth_count == 6
    for p in set(paths.values()):
        rate, samples = read_wav(p)
        assert len(samples) / rate > 0.5


def test_empty_text_is_refused(tmp_path):
    with pytest.raises(ValueError):
        VoiceCache(tmp_path).announcement_wav("   ")


def test_an_unknown_voice_is_named_and_the_engine_keeps_working(tmp_path):
    with pytest.raises(VoiceUnavailable, match="no-such-voice"):
        VoiceCache(tmp_path, VoiceSettings(voice="no-such-voice")).announcement_wav("một")
    assert VoiceCache(tmp_path).announcement_wav("hai").is_file()


def test_a_missing_library_says_why(tmp_path):
    data = tmp_path / "espeak-ng-data"
    data.mkdir()
    with pytest.raises(VoiceUnavailable, match="libespeak-ng not found"):
        voice._Espeak(str(tmp_path / "libespeak-ng.so"), str(data))
    not_a_library = tmp_path / "libespeak-ng.so"
    not_a_library.write_bytes(b"this is not an ELF file")
    with pytest.raises(VoiceUnavailable, match="cannot load libespeak-ng"):
        voice._Espeak(str(not_a_library), str(data))


def test_the_chime_is_soft_and_audible():
    samples = chime_samples(22050)
    assert 0.8 < len(samples) / 22050 < 2.0
    peak = max(abs(s) for s in samples)
    assert 3000 < peak < 32767 * 0.5
    assert abs(samples[-1]) < peak * 0.1  # it fades out instead of clicking off
