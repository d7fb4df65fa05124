"""The evaluation split is fixed by each tweet's hash, so it stays put as the table grows."""

from sentiment.ml.data import evaluation_mask, text_hash


def test_a_tweet_stays_on_its_side_as_the_table_grows():
    texts = [f"tweet {i}" for i in range(2000)]
    labels = ["positive" if i % 2 else "negative" for i in range(2000)]
    hashes = [text_hash(t) for t in texts]

    small = evaluation_mask(hashes[:500], labels[:500], 0.2)
    large = evaluation_mask(hashes, labels, 0.2)

    assert (small == large[:500]).all()


def test_about_the_requested_fraction_is_held_out_per_label():
    texts = [f"tweet {i}" for i in range(5000)]
    labels = [("negative", "neutral", "positive")[i % 3] for i in range(5000)]

    mask = evaluation_mask([text_hash(t) for t in texts], labels, 0.2)

    for label in ("negative", "neutral", "positive"):
        side = [m for m, lab in zip(mask, labels, strict=True) if lab == label]
        assert 0.17 < sum(side) / len(side) < 0.23


def test_every_label_has_tweets_on_both_sides_even_when_tiny():
    texts = ["a", "b", "c", "d", "e", "f"]
    labels = ["positive"] * 3 + ["negative"] * 3

    mask = evaluation_mask([text_hash(t) for t in texts], labels, 0.2)

    for label in ("positive", "negative"):
        side = [m for m, lab in zip(mask, labels, strict=True) if lab == label]
        assert any(side)
        assert not all(side)
