using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Data.Artifacts;
using Platform.Domain.Common;
using Platform.Training.Models.Cnn;
using Platform.Training.SafeTensors;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Jobs.Catalog;

/// <summary>
/// The base models tenants train from: platform-wide ones (managed by platform admins) and each
/// tenant's private ones. A tenant sees and launches the platform-wide models and its own, never
/// another tenant's; one name means one model within what a tenant sees. Text models are validated
/// by loading them exactly as a training job will, then stored in the artifact store (encrypted with the
/// tenant's data key, or the platform's for platform-wide models), so a later change to the source folder
/// cannot change what jobs train from and a worker with no shared file system can fetch them
/// (<see cref="BaseModelFiles"/>).
/// </summary>
public sealed class BaseModelCatalog(NpgsqlDataSource dataSource, IOptions<ModelCatalogOptions> options, StoredFolders storedFolders)
{
    /// <summary>The files of a text-model folder the catalog keeps; the first three are required.</summary>
    internal static readonly string[] TextModelFiles = ["config.json", "vocab.txt", "model.safetensors", "tokenizer_config.json", "special_tokens_map.json"];

    private const string Columns = "id, name, kind, preset, path, description, parameters, tenant_id, source, architecture, folder, hidden_size, untrained";

    public string Root => options.Value.Root is { Length: > 0 } root
        ? root
        : throw new InvalidOperationException("Catalog:Root is not set (it defaults to {Storage:Root}/catalog): the catalog has nowhere to keep models.");

    /// <summary>
    /// What <paramref name="tenantId"/> may train from: the platform-wide models and its own private
    /// ones (null: the platform-wide ones only, as the admin catalog shows them).
    /// </summary>
    public async Task<IReadOnlyList<BaseModel>> ListAsync(Guid? tenantId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM base_models
            WHERE tenant_id IS NULL OR tenant_id = $1
            ORDER BY kind, tenant_id IS NULL, name
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        var models = new List<BaseModel>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            models.Add(Read(reader));
        return models;
    }

    /// <summary>The model named <paramref name="name"/> among those <paramref name="tenantId"/> sees (see <see cref="ListAsync"/>).</summary>
    public async Task<BaseModel?> FindAsync(Guid? tenantId, string name, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM base_models
            WHERE name = $2 AND (tenant_id IS NULL OR tenant_id = $1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Adds an already-built text-model folder (config.json, vocab.txt, model.safetensors in Hugging
    /// Face layout, BERT family or DistilBERT; tokenizer_config.json and special_tokens_map.json when
    /// present) to the catalog: private to <see cref="TextModelRegistration.TenantId"/>, or platform-wide
    /// when that is null. The folder is loaded as a training job would load it (config, vocabulary,
    /// every encoder tensor with the shape the config implies), stored in the artifact store of the tenant (or
    /// the platform's), and only then listed. The source folder is left as it was.
    /// Returns BadRequest for a name that is empty or too long and for a folder that does not load,
    /// Conflict when the name is taken among the models that tenant sees.
    /// </summary>
    public Task<Result<BaseModel>> RegisterTextModelFolderAsync(TextModelRegistration registration, CancellationToken cancellationToken = default) =>
        AddTextModelAsync(registration, moveFiles: false, cancellationToken);

    /// <summary>As <see cref="RegisterTextModelFolderAsync"/>, deleting the source files once stored (an import's own download folder).</summary>
    internal async Task<Result<BaseModel>> AddTextModelAsync(TextModelRegistration registration, bool moveFiles, CancellationToken cancellationToken)
    {
        var name = registration.Name.Trim();
        if (CheckName(name) is { } invalid)
            return Result<BaseModel>.BadRequest(invalid);
        var source = registration.Source.Trim();
        if (source.Length is 0 or > 300)
            return Result<BaseModel>.BadRequest("The source must be 1 to 300 characters.");
        var description = registration.Description.Trim();
        if (description.Length > 500)
            return Result<BaseModel>.BadRequest("The description may be at most 500 characters.");
        if (await NameTakenAsync(registration.TenantId, name, cancellationToken) is { } taken)
            return Result<BaseModel>.Conflict(taken);

        var validated = await Task.Run(() => ValidateTextModelFolder(registration.Folder), cancellationToken);
        if (!validated.IsSuccess)
            return Result<BaseModel>.From(validated);

        var id = Guid.CreateVersion7();
        var owner = registration.TenantId ?? BaseModel.PlatformOwner;
        var folder = BaseModel.FolderOf(id);
        var profile = BaseModelProfile.Of(registration.Folder);
        var files = TextModelFiles.Select(f => (f, Path.Combine(registration.Folder, f))).Where(f => File.Exists(f.Item2)).ToList();
        await storedFolders.PutAsync(owner, folder, files, cancellationToken);
        try
        {
            var model = new BaseModel(id, name, "bert", null, null, description, validated.Value.Parameters,
                registration.TenantId, source, validated.Value.Architecture, folder, profile);
            await InsertAsync(model, registration.CreatedBy, cancellationToken);
            if (moveFiles)
            {
                foreach (var (_, path) in files)
                    File.Delete(path);
            }
            return Result<BaseModel>.Success(model);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await storedFolders.DeleteAsync(owner, folder, CancellationToken.None);
            return Result<BaseModel>.Conflict(await NameTakenAsync(registration.TenantId, name, cancellationToken)
                                              ?? $"A base model named '{name}' already exists.");
        }
        catch
        {
            await storedFolders.DeleteAsync(owner, folder, CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Loads <paramref name="folder"/> as a fine-tuning job would (with a placeholder two-label head:
    /// each job initialises its own) and reports its architecture and trainable parameters. Messages
    /// name the files, never the server's paths.
    /// </summary>
    public static Result<(string Architecture, long Parameters)> ValidateTextModelFolder(string folder)
    {
        try
        {
            if (!Directory.Exists(folder))
                return Result<(string, long)>.BadRequest("The model folder does not exist.");
            foreach (var required in TextModelFiles.Take(3))
            {
                if (!File.Exists(Path.Combine(folder, required)))
                    return Result<(string, long)>.BadRequest($"The model folder has no {required} (a text model needs config.json, vocab.txt and model.safetensors).");
            }
            using var model = BertClassifier.ForFineTuning(folder, ["a", "b"], Device.Cpu);
            return Result<(string, long)>.Success((model.Model.TextConfig.ModelType, model.Model.Parameters().Sum(p => p.NumberOfElements)));
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or TorchException
                                       or UnauthorizedAccessException or JsonException)
        {
            var message = ex.Message.Replace(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
                .Replace(folder, "the model folder", StringComparison.Ordinal);
            return Result<(string, long)>.BadRequest($"Not a usable text model: {message}");
        }
    }

    /// <summary>Null when <paramref name="name"/> is acceptable as a catalog name, else why not.</summary>
    public static string? CheckName(string name) =>
        name.Trim().Length == 0 ? "Give the model a name." : DisplayName.Check(name, "The name", 100);

    /// <summary>Why <paramref name="name"/> cannot be used in the scope of <paramref name="tenantId"/> (null: platform-wide), or null when it can.</summary>
    public async Task<string?> NameTakenAsync(Guid? tenantId, string name, CancellationToken cancellationToken = default)
    {
        // Platform-wide, any row of the name collides (a tenant's private one included); private, the
        // platform-wide ones and the tenant's own.
        await using var command = dataSource.CreateCommand("""
            SELECT tenant_id FROM base_models
            WHERE name = $2 AND ($1::uuid IS NULL OR tenant_id IS NULL OR tenant_id = $1)
            ORDER BY tenant_id NULLS FIRST LIMIT 1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var owner = reader.IsDBNull(0) ? (Guid?)null : reader.GetGuid(0);
        return (tenantId, owner) switch
        {
            (null, null) => $"A base model named '{name}' already exists.",
            (null, _) => $"An organisation already has a private base model named '{name}': choose another name.",
            (_, null) => $"A platform-wide base model is already named '{name}': choose another name.",
            _ => $"Your organisation already has a base model named '{name}'.",
        };
    }

    /// <summary>Adds the CNN presets that are not in the catalog yet (the demo seed and first start call it).</summary>
    public async Task EnsureCnnPresetsAsync(CancellationToken cancellationToken = default)
    {
        var existing = (await ListAsync(null, cancellationToken)).Where(m => !m.IsBert).Select(m => m.Preset).ToHashSet();
        if (!existing.Contains(TabularClassifier.Preset))
        {
            try
            {
                // Its size follows the table's columns; this is the count for 20 input features, for the estimate.
                await InsertAsync(new BaseModel(Guid.CreateVersion7(), TabularClassifier.Preset, BaseModel.TabularKind, TabularClassifier.Preset, null,
                    "A multi-layer perceptron (64-32) for tables of numeric and categorical columns: churn, fraud, credit scoring.",
                    TabularClassifier.ParameterCount(20, 2), null, "preset"), null, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Another instance added it first.
            }
        }

        foreach (var preset in CnnConfig.PresetNames.Where(p => !existing.Contains(p)))
        {
            var description = preset switch
            {
                "cnn-28-grey" => "Two conv blocks for 28x28 greyscale images (digits, clothing, icons).",
                "mlp-28-grey" => "A multi-layer perceptron (784-256-128) for 28x28 greyscale images: the classic MNIST model, to compare with the CNN.",
                "cnn-32-rgb" => "Three conv blocks for 32x32 colour images.",
                _ => "A small ResNet for colour images.",
            };
            try
            {
                await InsertAsync(new BaseModel(Guid.CreateVersion7(), preset, "cnn", preset, null, description,
                    CountPresetParameters(preset), null, "preset"), null, cancellationToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // Another instance added it first (or the name is taken): nothing to do.
            }
        }
    }

    private static long CountPresetParameters(string preset)
    {
        var folder = Directory.CreateTempSubdirectory("platform-preset-").FullName;
        try
        {
            using (var model = CnnImageClassifier.ForTraining(preset, ["a", "b"], Device.Cpu))
                model.Save(folder);
            return SafeTensorsFile.Read(Path.Combine(folder, "model.safetensors")).Tensors.Sum(t => t.ElementCount);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task InsertAsync(BaseModel model, Guid? createdBy, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO base_models (id, name, kind, preset, path, description, parameters, tenant_id, source, architecture, created_by,
                                     folder, hidden_size, untrained)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = model.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = model.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = model.Kind });
        command.Parameters.Add(Text(model.Preset));
        command.Parameters.Add(Text(model.Path));
        command.Parameters.Add(new NpgsqlParameter { Value = model.Description });
        command.Parameters.Add(new NpgsqlParameter { Value = model.Parameters });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)model.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = model.Source });
        command.Parameters.Add(Text(model.Architecture));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)createdBy ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(Text(model.Folder));
        command.Parameters.Add(new NpgsqlParameter { Value = model.Profile is { } p ? p.Width : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = model.Profile is { } q ? q.Start == ModelStart.TextFromScratch : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Boolean,
        });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Text(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };

    private static BaseModel Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetString(5), reader.GetInt64(6),
        reader.IsDBNull(7) ? null : reader.GetGuid(7), reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.IsDBNull(11) || reader.IsDBNull(12) ? null
            : new BaseModelProfile(reader.GetBoolean(12) ? ModelStart.TextFromScratch : ModelStart.TextPretrained, reader.GetInt32(11)));
}
