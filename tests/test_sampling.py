"""Frame indices against hand-worked cases."""
import numpy as np

from gluon_dfb.data.sampling import clip_indices, segment_indices, spread_clip_starts


def test_tsn_test_frames_are_segment_centres():
    # 30 frames, 3 segments [0,10) [10,20) [20,30): centres 4(.5) -> 4, 14, 24
    np.testing.assert_array_equal(segment_indices(30, 3), [4, 14, 24])
    # 20 frames at the 2D protocol: one frame per frame, centre of a 1-frame segment
    np.testing.assert_array_equal(segment_indices(20, 20), np.arange(20))
    # 100 frames, 20 segments of 5: 2, 7, 12, ...
    np.testing.assert_array_equal(segment_indices(100, 20), np.arange(20) * 5 + 2)


def test_tsn_train_frames_stay_in_their_segments():
    rng = np.random.RandomState(0)
    seen = set()
    for _ in range(300):
        idx = segment_indices(31, 3, rng=rng)  # segments [0,10) [10,20) [20,31)
        assert 0 <= idx[0] < 10 and 10 <= idx[1] < 20 and 20 <= idx[2] < 31
        seen.update(idx.tolist())
    assert seen == set(range(31))  # every frame can be drawn


def test_snippets_of_several_frames():
    np.testing.assert_array_equal(segment_indices(30, 3, new_length=2), [4, 5, 14, 15, 24, 25])


def test_short_videos_loop():
    # 2 frames, 3 segments: the video is looked at as 3 frames long, index 2 -> 0
    np.testing.assert_array_equal(segment_indices(2, 3), [0, 1, 0])
    # 5 frames, 4 frames 2 apart (span 7): start 0, 0 2 4 6 -> 0 2 4 1
    np.testing.assert_array_equal(clip_indices(5, 4, 2), [0, 2, 4, 1])
    np.testing.assert_array_equal(clip_indices(5, 4, 2, rng=np.random.RandomState(1)),
                                  [0, 2, 4, 1])


def test_clip_bounds():
    # 100 frames, 32 x 2 spans 63 frames: starts 0..37, centre 18
    np.testing.assert_array_equal(clip_indices(100, 32, 2), 18 + 2 * np.arange(32))
    rng = np.random.RandomState(0)
    starts = {int(clip_indices(100, 32, 2, rng=rng)[0]) for _ in range(2000)}
    assert starts == set(range(38))


def test_test_clips_are_evenly_spaced_and_cover_the_video():
    # 300 frames, 32 x 2 (span 63): starts spread over 0..237
    starts = spread_clip_starts(300, 32, 2, 10)
    np.testing.assert_array_equal(starts, np.round(np.arange(10) * 237 / 9))
    assert starts[0] == 0 and starts[-1] + 62 == 299
    np.testing.assert_array_equal(spread_clip_starts(40, 32, 2, 10), np.zeros(10))
    np.testing.assert_array_equal(spread_clip_starts(300, 32, 2, 1), [118])
