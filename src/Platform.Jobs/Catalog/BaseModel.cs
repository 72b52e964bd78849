using Platform.Training.Training;

namespace Platform.Jobs.Catalog;

/// <summary>
/// A starting point tenants train from: a text-transformer checkpoint folder (BERT family or
/// DistilBERT; <see cref="Kind"/> "bert"), or a CNN preset trained from scratch. A null
/// <see cref="TenantId"/> is platform-wide; otherwise only that tenant sees and launches it.
/// A text model's files are a stored folder (<see cref="Folder"/>, in the artifact store of <see cref="StoreOwner"/>);
/// rows of installs from before the store name a plain folder (<see cref="Path"/>) until they are moved.
/// </summary>
public sealed record BaseModel(Guid Id, string Name, string Kind, string? Preset, string? Path, string Description, long Parameters,
    Guid? TenantId = null, string Source = "", string? Architecture = null, string? Folder = null, BaseModelProfile? Profile = null)
{
    /// <summary>
    /// Whose artifact store holds the platform-wide models' files: no tenant has this id, and the store
    /// encrypts them with a data key of their own like any tenant's.
    /// </summary>
    public static readonly Guid PlatformOwner = Guid.Empty;

    /// <summary>The artifact store (tenant, or <see cref="PlatformOwner"/>) holding <see cref="Folder"/>.</summary>
    public Guid StoreOwner => TenantId ?? PlatformOwner;

    /// <summary>Where the stored files are, for a job's payload; null for presets and plain folders.</summary>
    public StoredBaseModel? Stored => Folder is null ? null : new StoredBaseModel(StoreOwner, Folder);

    /// <summary>The stored folder of a text model's files.</summary>
    public static string FolderOf(Guid modelId) => $"base-models/{modelId:N}";

    /// <summary>A text model (the kind is named after the first family the platform supported).</summary>
    public bool IsBert => Kind == "bert";

    /// <summary>The MLP for tables (<see cref="Platform.Training.Training.TabularClassifier.Preset"/>).</summary>
    public bool IsTabular => Kind == TabularKind;

    public const string TabularKind = "tabular";

    /// <summary>The dataset kind this base model trains on ("Text", "Image" or "Tabular", as datasets.kind spells it).</summary>
    public string DatasetKind => IsBert ? "Text" : IsTabular ? "Tabular" : "Image";

    public bool IsPrivate => TenantId is not null;

    /// <summary>
    /// What the trainer takes as its base: the preset name for a CNN or a table, the plain folder of a text
    /// model not yet moved into the store; "" for a stored text model (the worker materialises <see cref="Stored"/>).
    /// </summary>
    public string TrainerBase => IsBert ? Path ?? "" : Preset!;

    /// <summary>
    /// How training starts from this model: read at registration for stored models, from the plain folder
    /// for older rows (null when that cannot be read here; the worker reads it again).
    /// </summary>
    public BaseModelProfile? ProfileOrRead()
    {
        if (!IsBert)
            return BaseModelProfile.Of(Preset!);
        if (Profile is not null || Path is null)
            return Profile;
        try
        {
            return BaseModelProfile.Of(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

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

/// <summary>A base model's files in the artifact store: the store's owner (a tenant, or <see cref="BaseModel.PlatformOwner"/>) and the folder.</summary>
public sealed record StoredBaseModel(Guid Owner, string Folder);
