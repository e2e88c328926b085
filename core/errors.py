"""Domain exceptions. Messages are written to be read by a person or a model and acted on."""


class ModelConfigError(Exception):
    "Base class for every error this library raises on purpose."


class InvalidUsage(ModelConfigError, ValueError):
    "A usage record or query argument failed validation; nothing was written."


class UnknownModel(ModelConfigError, LookupError):
    "The model id is not in the price catalogue or the configured overrides."


class ConfigError(ModelConfigError):
    "A configuration file is unreadable or has a bad value."

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class BudgetConfigError(ConfigError):
    "The budget section of the configuration is inconsistent."


class LedgerError(ModelConfigError):
    "The usage database could not be opened or written."


class ExportPathError(ModelConfigError, ValueError):
    "An export path is outside the allowed directory or not writable."
