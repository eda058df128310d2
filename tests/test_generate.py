"""Tests for normlib._generate and _features: random tensors, feature maps and the sample folder."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from normlib._errors import InputError, NormError
from normlib._features import FEATURE_NAMES, feature_maps
from normlib._generate import DISTRIBUTIONS, random_tensor, sample_images, sample_names
from tests.conftest import ROOT

# The app's bundled samples (assets/make_samples.py); normlib reads whatever folder it is given.
SAMPLES = ROOT / "assets" / "samples"

# ----------------------------------------------------------------------------------------
# random_tensor


def test_same_seed_same_tensor_other_seed_other_tensor():
    first = random_tensor((2, 3, 4, 5), seed=7)
    np.testing.assert_array_equal(first, random_tensor((2, 3, 4, 5), seed=7))
    assert not np.array_equal(first, random_tensor((2, 3, 4, 5), seed=8))


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 4, 5), [8, 16, 3, 7]])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype(shape, dtype):
    tensor = random_tensor(shape, dtype=dtype)
    assert tensor.shape == tuple(shape)
    assert tensor.dtype == dtype
    assert np.isfinite(tensor).all()


def test_default_shape():
    assert random_tensor().shape == (8, 3, 32, 32)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_every_distribution_has_mean_zero_and_variance_one(distribution):
    values = random_tensor((8, 4, 64, 64), distribution=distribution, seed=3)
    assert abs(values.mean()) < 0.03
    assert abs(values.std() - 1.0) < 0.03


def test_distributions_have_their_shapes():
    def sample(distribution):
        return random_tensor((4, 4, 64, 64), distribution=distribution).astype(np.float64)

    def skewness(v):
        return float(((v - v.mean()) ** 3).mean() / v.std() ** 3)

    def excess_kurtosis(v):
        return float(((v - v.mean()) ** 4).mean() / v.std() ** 4 - 3.0)

    assert skewness(sample("lognormal")) > 1.0  # right-skewed
    assert abs(skewness(sample("normal"))) < 0.1
    assert excess_kurtosis(sample("laplace")) > 2.0  # heavy tails (theory: 3)
    assert excess_kurtosis(sample("uniform")) < -1.0  # flat (theory: -1.2)
    bimodal = sample("bimodal")
    # Few values near 0, between the two bumps at -0.9 and +0.9.
    assert np.mean(np.abs(bimodal) < 0.2) < 0.5 * np.mean(np.abs(bimodal - 0.9) < 0.2)


def test_channel_offset_spreads_channel_means_evenly():
    tensor = random_tensor((16, 5, 16, 16), seed=1, channel_offset=3.0)
    np.testing.assert_allclose(tensor.mean(axis=(0, 2, 3)), [-3, -1.5, 0, 1.5, 3], atol=0.05)
    # Channels are what differ: per-sample means stay together.
    assert np.ptp(tensor.mean(axis=(1, 2, 3))) < 0.25


def test_channel_scale_spreads_channel_stds_log_evenly():
    tensor = random_tensor((16, 3, 16, 16), seed=1, channel_scale=np.log(4.0))
    stds = tensor.std(axis=(0, 2, 3))
    np.testing.assert_allclose(stds, [0.25, 1.0, 4.0], rtol=0.05)


def test_sample_offset_spreads_sample_means():
    tensor = random_tensor((3, 4, 32, 32), seed=2, sample_offset=2.0)
    np.testing.assert_allclose(tensor.mean(axis=(1, 2, 3)), [-2, 0, 2], atol=0.06)
    assert np.ptp(tensor.mean(axis=(0, 2, 3))) < 0.15


def test_sample_scale_spreads_sample_stds_and_instancenorm_undoes_it():
    tensor = random_tensor((3, 2, 32, 32), seed=4, sample_scale=np.log(3.0))
    np.testing.assert_allclose(tensor.std(axis=(1, 2, 3)), [1 / 3, 1.0, 3.0], rtol=0.06)
    import normlib

    # The same noise, rescaled per sample: with eps = 0 the contrast is undone exactly.
    out = normlib.normalize(tensor, "instancenorm", eps=0.0).output
    plain = normlib.normalize(random_tensor((3, 2, 32, 32), seed=4), "instancenorm", eps=0.0)
    np.testing.assert_allclose(out, plain.output, atol=2e-5)


def test_spreads_change_offsets_but_not_the_noise():
    plain = random_tensor((2, 3, 8, 8), seed=5)
    shifted = random_tensor((2, 3, 8, 8), seed=5, channel_offset=1.0, sample_offset=0.5)
    difference = shifted - plain
    # Only a constant per (sample, channel): the noise itself is identical.
    constant = difference[:, :, :1, :1].repeat(8, 2).repeat(8, 3)
    np.testing.assert_allclose(difference, constant, atol=1e-6)
    np.testing.assert_allclose(
        constant[:, :, 0, 0], [[-1.5, -0.5, 0.5], [-0.5, 0.5, 1.5]], atol=1e-6
    )


def test_single_channel_and_single_sample_get_no_offset():
    tensor = random_tensor((1, 1, 32, 32), channel_offset=5.0, sample_offset=5.0)
    assert abs(tensor.mean()) < 0.2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"shape": (2, 3, 4)}, "not 4"),
        ({"shape": (2, 3, 4, 0)}, "not positive"),
        ({"shape": (2, -3, 4, 4)}, "not positive"),
        ({"shape": (2, 3.0, 4, 4)}, "not an integer"),
        ({"shape": (2, True, 4, 4)}, "not an integer"),
        ({"shape": 5}, "not a sequence"),
        ({"shape": (10**4, 10**4, 10, 10)}, "limit"),
        ({"distribution": "gaussian"}, "normal, uniform, laplace, lognormal, bimodal"),
        ({"channel_offset": -1.0}, "channel_offset"),
        ({"channel_scale": float("nan")}, "channel_scale"),
        ({"sample_offset": float("inf")}, "sample_offset"),
        ({"sample_offset": "1"}, "must be a number"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"dtype": np.int32}, "floating"),
        ({"dtype": "nonsense"}, "dtype"),
        ({"channel_scale": 200.0}, "too large"),
    ],
)
def test_bad_arguments_raise_norm_error(arguments, message):
    with pytest.raises(NormError, match=message):
        random_tensor(**arguments)


def test_distributions_constant_lists_the_five_names():
    assert DISTRIBUTIONS == ("normal", "uniform", "laplace", "lognormal", "bimodal")


# ----------------------------------------------------------------------------------------
# feature_maps


def test_feature_maps_shape_dtype_and_names():
    images = np.random.default_rng(0).random((3, 3, 10, 12)).astype(np.float32)
    maps = feature_maps(images)
    assert maps.shape == (3, 8, 10, 12)
    assert maps.dtype == np.float32
    assert np.isfinite(maps).all()
    assert len(FEATURE_NAMES) == 8


def test_colour_channels_are_the_documented_1x1_filters():
    images = np.zeros((1, 3, 4, 4), dtype=np.float32)
    images[:, 0] = 1.0  # pure red
    maps = feature_maps(images)
    np.testing.assert_allclose(maps[0, 0], 0.299, atol=1e-6)  # luminance
    np.testing.assert_allclose(maps[0, 1], 1.0)  # red - green
    np.testing.assert_allclose(maps[0, 2], -0.5)  # blue - (red + green) / 2


def test_edge_filters_are_zero_on_a_constant_image():
    maps = feature_maps(np.full((2, 3, 9, 9), 0.7))
    for name in ("sobel x", "sobel y", "laplacian", "diagonal edge"):
        np.testing.assert_allclose(maps[:, FEATURE_NAMES.index(name)], 0.0, atol=1e-6)
    np.testing.assert_allclose(maps[:, FEATURE_NAMES.index("gaussian blur")], 0.7, atol=1e-6)


def test_sobel_measures_slope_and_direction():
    ramp = np.tile(np.arange(12, dtype=np.float32) * 0.05, (12, 1))  # brighter to the right
    images = np.repeat(ramp[None, None], 3, axis=1)
    maps = feature_maps(images)
    interior = (slice(None), slice(2, -2), slice(2, -2))
    np.testing.assert_allclose(maps[0, 3][interior[1:]], 0.05, atol=1e-6)  # sobel x
    np.testing.assert_allclose(maps[0, 4][interior[1:]], 0.0, atol=1e-6)  # sobel y
    np.testing.assert_allclose(maps[0, 5][interior[1:]], 0.0, atol=1e-6)  # laplacian
    assert (maps[0, 7][interior[1:]] > 0).all()  # diagonal sees the rightward slope


def test_laplacian_of_a_single_bright_pixel():
    images = np.zeros((1, 3, 5, 5), dtype=np.float32)
    images[0, :, 2, 2] = 1.0
    laplacian = feature_maps(images)[0, 5]
    assert laplacian[2, 2] == pytest.approx(-4.0)
    assert laplacian[1, 2] == pytest.approx(1.0)
    assert laplacian[0, 0] == pytest.approx(0.0)


@pytest.mark.parametrize("height_width", [(1, 1), (2, 2), (1, 4), (3, 1), (2, 3)])
def test_tiny_images_work(height_width):
    images = np.random.default_rng(1).random((2, 3, *height_width))
    maps = feature_maps(images)
    assert maps.shape == (2, 8, *height_width)
    assert np.isfinite(maps).all()


def test_relu_option_clips_negatives_only():
    images = np.random.default_rng(2).random((2, 3, 8, 8))
    plain, rectified = feature_maps(images), feature_maps(images, relu=True)
    assert plain.min() < 0 and rectified.min() == 0.0
    np.testing.assert_array_equal(rectified, np.maximum(plain, 0))


@pytest.mark.parametrize(
    "images",
    [
        np.zeros((2, 4, 5, 5)),
        np.zeros((3, 5, 5)),
        np.zeros((0, 3, 5, 5)),
        np.full((1, 3, 2, 2), np.nan),
        np.array([["a"]]),
    ],
)
def test_feature_maps_refuses_bad_input(images):
    with pytest.raises(NormError):
        feature_maps(images)


def test_at_least_ten_samples_in_sorted_order():
    names = sample_names(SAMPLES)
    assert len(names) >= 10
    assert list(names) == sorted(names)
    assert {"sunset", "ocean", "forest", "night", "snow"} <= set(names)


def test_sample_images_load_as_a_batch():
    batch = sample_images(SAMPLES, (16, 20))
    assert batch.shape == (len(sample_names(SAMPLES)), 3, 16, 20)
    assert batch.dtype == np.float32
    assert batch.min() >= 0.0 and batch.max() <= 1.0


def test_samples_have_visibly_different_colour_statistics():
    batch = sample_images(SAMPLES, (32, 32), names=["night", "snow", "sunset", "ocean"])
    night, snow, sunset, ocean = batch.mean(axis=(2, 3))  # per-image channel means
    assert night.max() < 0.2 < 0.8 < snow.min()  # dark vs bright
    assert sunset[0] > sunset[2]  # warm: more red than blue
    assert ocean[2] > ocean[0]  # cool: more blue than red


def test_n_takes_the_first_samples():
    first_two = sample_images(SAMPLES, (8, 8), n=2)
    named = sample_images(SAMPLES, (8, 8), names=list(sample_names(SAMPLES)[:2]))
    np.testing.assert_array_equal(first_two, named)


@pytest.mark.parametrize("n", [0, -1, 1000, 2.0, True])
def test_bad_n_is_refused(n):
    with pytest.raises(InputError, match="n="):
        sample_images(SAMPLES, n=n)


def test_unknown_sample_name_lists_the_valid_ones():
    with pytest.raises(InputError, match=r"'moon'.*sunset"):
        sample_images(SAMPLES, names=["moon"])


def test_missing_sample_folder_names_it_and_says_how_to_regenerate(tmp_path):
    missing = tmp_path / "nothing here"
    with pytest.raises(InputError, match=r"'.*nothing here' does not exist.*make_samples\.py"):
        sample_names(missing)
    with pytest.raises(InputError, match=r"no sample images: '.*nothing here' does not exist"):
        sample_images(str(missing))


def test_folder_without_png_files_is_refused_by_name(tmp_path):
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(InputError, match=r"holds no \.png files.*make_samples\.py"):
        sample_names(tmp_path)
    with pytest.raises(InputError, match="is not a folder"):
        sample_images(tmp_path / "notes.txt")


def test_any_folder_of_pngs_is_read_in_name_order(tmp_path):
    # Pure colours, so the expected channel means are known without the loader.
    colours = {"b_green": (0, 255, 0), "a_red": (255, 0, 0), "c_white": (255, 255, 255)}
    for name, colour in colours.items():
        Image.new("RGB", (12, 9), colour).save(tmp_path / f"{name}.png")
    assert sample_names(tmp_path) == ("a_red", "b_green", "c_white")
    batch = sample_images(tmp_path, (4, 6))
    assert batch.shape == (3, 3, 4, 6)
    means = batch.mean(axis=(2, 3))
    np.testing.assert_allclose(means, [[1, 0, 0], [0, 1, 0], [1, 1, 1]], atol=1e-6)
