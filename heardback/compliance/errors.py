from heardback.hiring.errors import HiringError


class ComplianceError(HiringError):
    """Bad input to a compliance service, with a message meant for the person who sent it
    (a HiringError, so every face shows it the way it shows the hiring rules' refusals)."""
