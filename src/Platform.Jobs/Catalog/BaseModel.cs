namespace Platform.Jobs.Catalog;

/// <summary>
/// A starting point tenants train from: a text-transformer checkpoint folder (BERT family or
/// DistilBERT; <see cref="Kind"/> "bert"), or a CNN preset trained from scratch. A null
/// <see cref="TenantId"/> is platform-wide; otherwise only that tenant sees and launches it.
/// </summary>
public sealed record BaseModel(Guid Id, string Name, string Kind, string? Preset, string? Path, string Description, long Parameters,
    Guid? TenantId = null, string Source = "", string? Architecture = null)
{
    /// <summary>A text model (the kind is named after the first family the platform supported).</summary>
    public bool IsBert => Kind == "bert";

    /// <summary>The MLP for tables (<see cref="Platform.Training.Training.TabularClassifier.Preset"/>).</summary>
    public bool IsTabular => Kind == TabularKind;

    public const string TabularKind = "tabular";

    /// <summary>The dataset kind this base model trains on ("Text", "Image" or "Tabular", as datasets.kind spells it).</summary>
    public string DatasetKind => IsBert ? "Text" : IsTabular ? "Tabular" : "Image";

    public bool IsPrivate => TenantId is not null;

    /// <summary>What the trainer takes as its base: the folder for text models, the preset name for a CNN.</summary>
    public string TrainerBase => IsBert ? Path! : Preset!;

    /// <summary>For people: "BERT", "DistilBERT", "CNN" or "MLP".</summary>
    public string ArchitectureName => IsBert ? Platform.Training.Models.Text.TextModels.DisplayName(Architecture)
        : IsTabular ? "MLP" : Preset?.StartsWith("mlp-", StringComparison.Ordinal) == true ? "MLP" : "CNN";
}

/// <summary>
/// An already-built text-model folder (config.json, vocab.txt, model.safetensors; tokenizer files
/// when present) to add to the catalog. <see cref="TenantId"/> null makes it platform-wide.
/// <see cref="Source"/> says where it came from: "pretrain:&lt;job id&gt;", "hf:org/name@commit", "upload", "folder".
/// </summary>
public sealed record TextModelRegistration(Guid? TenantId, string Name, string Folder, string Description, string Source, Guid? CreatedBy = null);
