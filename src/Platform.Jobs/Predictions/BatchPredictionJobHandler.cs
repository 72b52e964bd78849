using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Platform.Data.Artifacts;
using Platform.Data.Datasets.Ingestion;
using Platform.Domain.Common;
using Platform.Jobs.Workers;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Jobs.Predictions;

/// <summary>
/// Classifies every row (or image) of an uploaded file with a trained model and stores the result as
/// predictions.csv in the job's folder: input id, predicted label, the score of each label, then the input's
/// columns the model does not read (<see cref="BatchInputs"/>), so the rows join back to the caller's data. It runs
/// as a job of its own, so it queues behind the tenant's limits, is metered like training (the worker
/// meters every job's device time), and can be cancelled: cancellation is honoured between batches. A
/// run after a lost lease starts over (predicting is cheap next to training; nothing is half-stored).
/// </summary>
internal sealed class BatchPredictionJobHandler(StoredFolders storedFolders) : IJobHandler
{
    public const string JobKind = "batch-predict";
    public const string ResultFile = "predictions.csv";
    private const int BatchSize = 64;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Kind => JobKind;

    /// <summary>The stored folder of a batch job's result.</summary>
    public static string ResultFolder(Guid jobId) => $"jobs/{jobId:N}/predictions";

    public async Task<string?> RunAsync(JobContext context)
    {
        var job = context.Job;
        var payload = JsonSerializer.Deserialize<BatchPredictionPayload>(job.PayloadJson, Json)
            ?? throw new InvalidOperationException("The job has no batch prediction settings.");
        if (Directory.Exists(context.LocalDirectory))
            Directory.Delete(context.LocalDirectory, recursive: true);
        var inputDirectory = Path.Combine(context.LocalDirectory, "input");
        if (!await storedFolders.DownloadAsync(job.TenantId, payload.InputFolder, inputDirectory, cancellationToken: context.Cancellation))
            throw new InvalidDataException("The uploaded file is no longer stored; upload it again.");
        var modelDirectory = payload.ModelLocalFolder ?? Path.Combine(context.LocalDirectory, "model");
        if (payload.ModelStoredFolder is { } stored
            && !await storedFolders.DownloadAsync(job.TenantId, stored, modelDirectory, cancellationToken: context.Cancellation))
            throw new InvalidDataException("The model is no longer stored (its job may have been deleted).");

        var outputDirectory = Path.Combine(context.LocalDirectory, "output");
        Directory.CreateDirectory(outputDirectory);
        var input = Path.Combine(inputDirectory, payload.InputFile);
        var rows = await Task.Factory.StartNew(
            () => Predict(context, payload.ModelKind, modelDirectory, input, Path.Combine(outputDirectory, ResultFile)),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!context.HoldsLease)
            throw new Queue.LeaseLostException(job.JobId);
        await storedFolders.PutAsync(job.TenantId, ResultFolder(job.JobId), outputDirectory, context.Cancellation);
        context.Post(null, "metrics", $"Classified {rows:N0} {(payload.ModelKind == "cnn" ? "images" : "rows")}; the result file is ready.");
        return new BatchPredictionResult(ResultFolder(job.JobId), ResultFile, rows, payload.ModelJobId).ToJson();
    }

    private static int Predict(JobContext context, string kind, string modelDirectory, string input, string output)
    {
        using var model = ClassifierModel.Load(modelDirectory, Device.Cpu);
        BatchFile file;
        try
        {
            file = BatchInputs.Read(kind, input, (model as TabularClassifier)?.Preprocessor);
        }
        catch (Exception ex) when (ex is InvalidDataException or UnsafeZipException)
        {
            // The launch reads the file the same way, so this is rare (a model changed under its jobs); it is
            // the file's fault, worded as the launch words it, and a job of one attempt fails with it at once.
            throw new InvalidDataException($"The file cannot be classified: {ex.Message}", ex);
        }
        var items = file.Items;
        using var archive = kind == "cnn" ? new ZipArchive(File.OpenRead(input), ZipArchiveMode.Read) : null;
        using var writer = new StreamWriter(output, false, new UTF8Encoding(false));
        var header = new List<string> { "id", "predicted_label" };
        header.AddRange(model.Labels.Select(l => "score_" + l));
        header.AddRange(CarriedNames(file.CarriedColumns, header));
        writer.WriteLine(string.Join(',', header.Select(CsvCells.Cell)));
        context.Post(Progress(0, items.Count), "log", $"Classifying {items.Count:N0} {(kind == "cnn" ? "images" : "rows")} with the model.");
        var lastReport = DateTime.UtcNow;
        for (var start = 0; start < items.Count; start += BatchSize)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var batch = items.Skip(start).Take(BatchSize).ToList();
            var predictions = model switch
            {
                BertClassifier bert => bert.Predict(batch.Select(b => b.Text!).ToList()),
                TabularClassifier table => table.Predict(batch.Select(b => b.Row!).ToList()),
                CnnImageClassifier cnn => cnn.Predict(batch.Select(b => (b.Id, BatchInputs.ReadEntry(archive!, b.ImageEntry!))).ToList()),
                _ => throw new InvalidOperationException("unknown model kind"),
            };
            foreach (var (item, prediction) in batch.Zip(predictions))
            {
                writer.WriteLine(string.Join(',', new[] { CsvCells.Cell(item.Id), CsvCells.Cell(prediction.Label) }
                    .Concat(model.Labels.Select(l => prediction.Scores[l].ToString("0.######", CultureInfo.InvariantCulture)))
                    .Concat((item.Carried ?? []).Select(CsvCells.Cell))));
            }
            var done = start + batch.Count;
            if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(1) || done == items.Count)
            {
                context.Post(Progress(done, items.Count));
                lastReport = DateTime.UtcNow;
            }
        }
        return items.Count;
    }

    /// <summary>
    /// The carried columns' names in the result: their own, after the result's columns (which keep their
    /// places for readers that go by position); one that would repeat a name gets "input_" in front.
    /// </summary>
    internal static IEnumerable<string> CarriedNames(IReadOnlyList<string> carried, IReadOnlyList<string> resultColumns)
    {
        var taken = new HashSet<string>(resultColumns.Concat(carried), StringComparer.Ordinal);
        foreach (var name in carried)
        {
            if (!resultColumns.Contains(name, StringComparer.Ordinal))
            {
                yield return name;
                continue;
            }
            var renamed = "input_" + name;
            while (!taken.Add(renamed))
                renamed = "input_" + renamed;
            yield return renamed;
        }
    }

    private static string Progress(int done, int total) => new JobProgressData(done, total, 1, 1).ToJson();
}
