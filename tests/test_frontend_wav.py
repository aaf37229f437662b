"""frontend.wav.read_wav on bad audio: a clear one-line AudioError or a note saying what was done,
never silent garbage."""
import numpy as np
import pytest
import soundfile as sf

from frontend import AudioError
from frontend.format import SAMPLE_RATE
from frontend.wav import read_wav


def _tone(n=SAMPLE_RATE):
    return (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / SAMPLE_RATE))


def test_nan_and_inf_samples_are_refused(tmp_path):
    for bad in (np.nan, np.inf, -np.inf):
        y = _tone()
        y[100] = bad
        sf.write(tmp_path / "x.wav", y, SAMPLE_RATE, subtype="FLOAT")
        with pytest.raises(AudioError, match="NaN or infinite"):
            read_wav(tmp_path / "x.wav")


def test_out_of_range_float_samples_are_clipped_with_a_note(tmp_path):
    y = _tone()
    y[:10] = 3.0
    sf.write(tmp_path / "x.wav", y, SAMPLE_RATE, subtype="FLOAT")
    x, note = read_wav(tmp_path / "x.wav")
    assert x[:10].tolist() == [32767] * 10 and "10 sample(s) beyond full scale clipped" in note


def test_truncated_file_is_read_with_a_note(tmp_path):
    sf.write(tmp_path / "x.wav", (_tone() * 32767).astype(np.int16), SAMPLE_RATE, subtype="PCM_16")
    b = (tmp_path / "x.wav").read_bytes()
    (tmp_path / "t.wav").write_bytes(b[:len(b) // 2])
    x, note = read_wav(tmp_path / "t.wav")
    assert 0 < len(x) < SAMPLE_RATE and "truncated" in note and "header promises 32000" in note


@pytest.mark.parametrize("rate", [1, 100, 4000, 1_000_000])
def test_absurd_rates_are_refused(tmp_path, rate):
    sf.write(tmp_path / "x.wav", np.zeros(64), rate, subtype="PCM_16")
    with pytest.raises(AudioError, match=f"at {rate} Hz"):
        read_wav(tmp_path / "x.wav")


def test_8k_and_48k_are_resampled_with_a_note(tmp_path):
    for rate in (8000, 48000):
        sf.write(tmp_path / "x.wav", np.zeros(rate), rate, subtype="PCM_16")
        x, note = read_wav(tmp_path / "x.wav")
        assert len(x) == SAMPLE_RATE and f"resampled {rate} Hz" in note


def test_missing_directory_and_non_audio_are_one_line(tmp_path):
    (tmp_path / "junk.wav").write_bytes(b"definitely not RIFF" * 20)
    (tmp_path / "empty.wav").write_bytes(b"")
    for path, words in ((tmp_path / "missing.wav", "not found"), (tmp_path, "is a directory"),
                        (tmp_path / "junk.wav", "cannot read audio file"), (tmp_path / "empty.wav", "cannot read")):
        with pytest.raises(AudioError, match=words) as e:
            read_wav(path)
        assert "\n" not in str(e.value)
