namespace Platform.Domain.Jobs;

/// <summary>What happened to a job; the state machine decides where that leads.</summary>
public enum JobTrigger
{
    Claim,
    Succeed,
    Fail,
    Cancel,
    LoseLease,
}
