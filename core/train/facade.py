"""Labels, fine-tuning and model versions part of the Library facade (issue 7)."""


class TrainingMixin:
    pass
