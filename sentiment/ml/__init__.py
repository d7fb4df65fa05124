"""The machine-learning core: text to features, training, evaluation, artifacts, prediction.

Plain Python over scikit-learn, with no Django import, so that it can be tested and benchmarked
on its own (see bench/).
"""
