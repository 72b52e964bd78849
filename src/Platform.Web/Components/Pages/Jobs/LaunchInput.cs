using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Components.Pages.Jobs;

/// <summary>The launch form's fields; blank advanced fields take the preset's values.</summary>
public sealed class LaunchInput
{
    public Guid? DatasetId { get; set; }

    public string? BaseModel { get; set; }

    public string Preset { get; set; } = "fast";

    [MaxLength(200)]
    public string? Name { get; set; }

    public int? Epochs { get; set; }

    public int? BatchSize { get; set; }

    public double? LearningRate { get; set; }

    public int? MaxLength { get; set; }

    /// <summary>Devices to train on at once, data-parallel (decision 0044); blank is one.</summary>
    public int? Devices { get; set; }
}
