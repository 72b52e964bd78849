namespace Platform.Web.Components.Pages.Jobs;

/// <summary>The pre-training form's fields; blank advanced fields take the preset's values.</summary>
public sealed class PretrainInput
{
    public Guid? DatasetId { get; set; }

    /// <summary>"scratch", or the name of a catalog BERT to continue from.</summary>
    public string? Start { get; set; }

    public string Size { get; set; } = Platform.Training.Pretraining.PretrainingSizes.Default;

    public string? ResultName { get; set; }

    public string Preset { get; set; } = "balanced";

    public int? Epochs { get; set; }

    public int? BatchSize { get; set; }

    public double? LearningRate { get; set; }

    public int? MaxLength { get; set; }

    public int? VocabularySize { get; set; }
}
