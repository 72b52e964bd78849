using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Workers;

public sealed class WorkerOptions : IValidatableObject
{
    [Required, MaxLength(200)]
    public string Name { get; set; } = Environment.MachineName;

    [Range(1, 64)]
    public int Slots { get; set; } = 1;

    /// <summary>cpu or cuda.</summary>
    [RegularExpression("^(cpu|cuda)$")]
    public string DeviceKind { get; set; } = "cpu";

    [Required, MaxLength(200)]
    public string DeviceName { get; set; } = "CPU";

    /// <summary>How long a claim stays valid without renewal; a dead worker's job returns after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Renewal period. Also bounds how stale a crashed segment's end time can be.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RenewEvery { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Self-fencing: a run that could not confirm its lease for this long stops training (and keeps its
    /// checkpoint on the worker's disk) while the lease, Lease after the last confirmation, is still
    /// its own. What is left of the lease covers the last step and the checkpoint. Default: half the lease.
    /// </summary>
    public TimeSpan? SelfFenceAfter { get; set; }

    public TimeSpan EffectiveSelfFenceAfter => SelfFenceAfter ?? Lease / 2;

    /// <summary>
    /// A folder on the worker's own disk (never shared storage) for its device-time spool and each
    /// run's local checkpoints. A worker restarted with the same folder reports what its predecessor
    /// left there. Default: {temp}/platform-worker/{Name}.
    /// </summary>
    [MaxLength(1000)]
    public string? SpoolDirectory { get; set; }

    /// <summary>
    /// How often a running job's device time is written to the spool, on its own timer (not the lease's,
    /// whose period stretches by each renewal's round trip): a killed worker's run is billed up to its
    /// last write, so this bounds what a kill leaves unbilled.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan SpoolEvery { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How often the worker sweeps for expired leases of other workers, and beats (workers.heartbeat_at):
    /// a worker that missed a beat is shown as not responding and gets no gang ranks (migration 0265).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RecoverEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A safety net for missed notifications only: an idle worker waits this long between claims when
    /// nothing wakes it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The address other workers reach this one at, published as the rendezvous of a data-parallel
    /// gang whose rank 0 runs here (decision 0044). Set it to the machine's own address when the
    /// workers of a gang run on several machines.
    /// </summary>
    [Required, MaxLength(253)]
    public string RendezvousHost { get; set; } = "127.0.0.1";

    /// <summary>How long a gang's rank waits for its peers at the rendezvous and in each collective before it fails.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RendezvousTimeout { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Pairs checked at start (issue 15): each says which settings disagree, in the names an operator sets.
        if (RenewEvery >= Lease)
        {
            yield return new ValidationResult(
                $"Worker:RenewEvery ({RenewEvery}) must be shorter than Worker:Lease ({Lease}): a lease renewed less often than it lasts expires under a live job.",
                [nameof(RenewEvery), nameof(Lease)]);
        }
        if (SpoolEvery >= Lease)
        {
            yield return new ValidationResult(
                $"Worker:SpoolEvery ({SpoolEvery}) must be shorter than Worker:Lease ({Lease}): a kill would leave more device time unbilled than a lease covers.",
                [nameof(SpoolEvery), nameof(Lease)]);
        }
        var fence = EffectiveSelfFenceAfter;
        if (fence <= RenewEvery || fence >= Lease)
        {
            yield return new ValidationResult(
                $"Worker:SelfFenceAfter ({fence}) must be longer than Worker:RenewEvery ({RenewEvery}) and shorter than Worker:Lease ({Lease}).",
                [nameof(SelfFenceAfter)]);
        }
    }
}
