namespace Platform.Domain.Jobs;

/// <summary>What happened to a job; the state machine decides where that leads.</summary>
public enum JobTrigger
{
    Claim,
    Succeed,

    /// <summary>The job's own error (its data, its settings, out of memory): uses one of its attempts.</summary>
    Fail,

    /// <summary>
    /// The run was lost to infrastructure: a killed worker, a lost lease, a database or storage outage.
    /// It costs the job none of its attempts.
    /// </summary>
    Interrupt,

    /// <summary>The worker gave the job back (shutdown): resumed as it was, at once.</summary>
    Release,
    Cancel,
}
