namespace Platform.Jobs.Catalog;

/// <summary>A starting point tenants train from: a BERT checkpoint folder, or a CNN preset trained from scratch.</summary>
public sealed record BaseModel(Guid Id, string Name, string Kind, string? Preset, string? Path, string Description, long Parameters)
{
    public bool IsBert => Kind == "bert";

    /// <summary>What the trainer takes as its base: the folder for BERT, the preset name for a CNN.</summary>
    public string TrainerBase => IsBert ? Path! : Preset!;
}
