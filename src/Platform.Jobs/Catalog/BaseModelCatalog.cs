using Npgsql;
using Platform.Domain.Common;
using Platform.Training.Models.Cnn;
using Platform.Training.SafeTensors;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Jobs.Catalog;

/// <summary>
/// The platform-wide list of base models (managed by platform admins). Imported BERT folders are
/// validated by loading them exactly as a training job will, then copied under the catalog root, so
/// a later change to the source folder cannot change what jobs train from.
/// </summary>
public sealed class BaseModelCatalog(NpgsqlDataSource dataSource)
{
    private static readonly string[] BertFiles = ["config.json", "vocab.txt", "model.safetensors", "tokenizer_config.json", "special_tokens_map.json"];

    public async Task<IReadOnlyList<BaseModel>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, name, kind, preset, path, description, parameters FROM base_models ORDER BY kind, name");
        var models = new List<BaseModel>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            models.Add(Read(reader));
        return models;
    }

    public async Task<BaseModel?> FindAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT id, name, kind, preset, path, description, parameters FROM base_models WHERE name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Imports a Hugging Face BERT folder (config.json, vocab.txt, model.safetensors): the config must
    /// parse, and every tensor must be present with the shape the config implies.
    /// </summary>
    public async Task<Result<BaseModel>> ImportBertAsync(string name, string sourceFolder, string description, string catalogRoot,
        CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100)
            return Result<BaseModel>.BadRequest("The name must be 1 to 100 characters.");
        if (await FindAsync(name, cancellationToken) is not null)
            return Result<BaseModel>.Conflict($"A base model named '{name}' already exists.");
        long parameters;
        try
        {
            // Two placeholder labels: the head is re-initialised for each job's labels anyway.
            using (BertClassifier.ForFineTuning(sourceFolder, ["a", "b"], Device.Cpu))
            {
            }
            parameters = CountParameters(Path.Combine(sourceFolder, "model.safetensors"));
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or TorchException
                                       or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return Result<BaseModel>.BadRequest($"Not a usable BERT checkpoint: {ex.Message}");
        }

        var id = Guid.CreateVersion7();
        var target = Path.Combine(catalogRoot, id.ToString("N"));
        Directory.CreateDirectory(target);
        foreach (var file in BertFiles.Where(f => File.Exists(Path.Combine(sourceFolder, f))))
            File.Copy(Path.Combine(sourceFolder, file), Path.Combine(target, file));
        var model = new BaseModel(id, name, "bert", null, target, description.Trim(), parameters);
        await InsertAsync(model, cancellationToken);
        return Result<BaseModel>.Success(model);
    }

    /// <summary>Adds the CNN presets that are not in the catalog yet (the demo seed and first start call it).</summary>
    public async Task EnsureCnnPresetsAsync(CancellationToken cancellationToken = default)
    {
        var existing = (await ListAsync(cancellationToken)).Where(m => !m.IsBert).Select(m => m.Preset).ToHashSet();
        foreach (var preset in CnnConfig.PresetNames.Where(p => !existing.Contains(p)))
        {
            var description = preset switch
            {
                "cnn-28-grey" => "Two conv blocks for 28x28 greyscale images (digits, clothing, icons).",
                "cnn-32-rgb" => "Three conv blocks for 32x32 colour images.",
                _ => "A small ResNet for colour images.",
            };
            await InsertAsync(new BaseModel(Guid.CreateVersion7(), preset, "cnn", preset, null, description,
                CountPresetParameters(preset)), cancellationToken);
        }
    }

    private static long CountPresetParameters(string preset)
    {
        var folder = Directory.CreateTempSubdirectory("platform-preset-").FullName;
        try
        {
            using (var model = CnnImageClassifier.ForTraining(preset, ["a", "b"], Device.Cpu))
                model.Save(folder);
            return CountParameters(Path.Combine(folder, "model.safetensors"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static long CountParameters(string safetensors) =>
        SafeTensorsFile.Read(safetensors).Tensors.Sum(t => t.ElementCount);

    private async Task InsertAsync(BaseModel model, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO base_models (id, name, kind, preset, path, description, parameters)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING
            """);
        foreach (var value in new object?[] { model.Id, model.Name, model.Kind, model.Preset, model.Path, model.Description, model.Parameters })
            command.Parameters.Add(value is null
                ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }
                : new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static BaseModel Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetString(5), reader.GetInt64(6));
}
