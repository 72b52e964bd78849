using System.ComponentModel.DataAnnotations;

namespace Platform.Jobs.Workers;

public sealed class WorkerOptions
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

    /// <summary>How often the worker sweeps for expired leases of other workers.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan RecoverEvery { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A safety net for missed notifications only: an idle worker waits this long between claims when
    /// nothing wakes it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan IdlePoll { get; set; } = TimeSpan.FromSeconds(30);
}
