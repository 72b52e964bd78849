using System.Diagnostics;
using System.Globalization;
using Platform.Training.Baseline;
using Platform.Training.Data;

// The linear text baseline on a train/test pair of CSVs (bench/fortunes_to_csv.py makes one).
//   grid TRAIN TEST   : featurisations x fixed C, fitted on the same 90% training split `train` uses, scored on validation and test
//   full TRAIN TEST [chars] : the default baseline (or with character 3-5-grams) (C chosen by cross-validation), as jobs and the CLI fit it, scored on test
var mode = args[0];
var trainPath = args[1];
var testPath = args[2];
var examples = TextDataset.LoadCsv(trainPath);
var test = TextDataset.LoadCsv(testPath);
var labels = LabelVocabulary.FromData(examples.Select(e => e.Label!));
var ids = examples.Select(e => labels.GetId(e.Label!)).ToArray();
var split = DataSplit.Stratified(ids, 0.1, 42);
var validation = split.Validation.Select(i => examples[i]).ToList();
var texts = split.Train.Select(i => examples[i].Text).ToArray();
var trainIds = split.Train.Select(i => ids[i]).ToArray();
string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);

if (mode == "full")
{
    var fullOptions = args.Length > 3 && args[3] == "chars" ? new BaselineOptions { CharNgrams = (3, 5) } : new BaselineOptions();
    var clock = Stopwatch.StartNew();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var result = BaselineTrainer.Train(trainPath, Path.Combine(Path.GetTempPath(), "baseline-bench"), options: fullOptions, log: Console.WriteLine);
    var seconds = clock.Elapsed.TotalSeconds;
    var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    var model = LinearTextClassifier.Load(result.ModelDirectory);
    var metrics = model.Evaluate(test);
    Console.WriteLine($"C {result.C} features {result.Features} fit+select {seconds:F1} s (cpu {cpuSeconds:F1} s); selection: " +
        string.Join(", ", result.Selection.Select(s => $"{s.C}:{F(s.MacroF1)}")));
    Console.WriteLine($"validation acc {F(result.Metrics.Evaluation.Accuracy)} f1 {F(result.Metrics.Evaluation.MacroF1)}; test acc {F(metrics.Accuracy)} f1 {F(metrics.MacroF1)}");
    return;
}

var configs = new (string Name, BaselineOptions Options)[]
{
    ("words 1-2 mindf1", new BaselineOptions { CharNgrams = null, MinDocumentFrequency = 1 }),
    ("words 1-2 no punct", new BaselineOptions { CharNgrams = null, KeepPunctuation = false }),
    ("words 1-2", new BaselineOptions { CharNgrams = null }),
    ("words 1 + chars 2-5", new BaselineOptions { WordNgrams = 1, CharNgrams = (2, 5) }),
    ("words 1-2 + chars 2-5 mindf1", new BaselineOptions { CharNgrams = (2, 5), MinDocumentFrequency = 1 }),
    ("words 1-2 + chars 2-5", new BaselineOptions { CharNgrams = (2, 5) }),
    ("words 1-2 + chars 3-5", new BaselineOptions { CharNgrams = (3, 5) }),
    ("words 1-2 + chars 1-4", new BaselineOptions { CharNgrams = (1, 4) }),
    ("words 1-2 no tf log", new BaselineOptions { CharNgrams = null, SublinearTf = false }),
    ("words 1 no punct no tf log mindf1 (sklearn default)", new BaselineOptions { WordNgrams = 1, CharNgrams = null, KeepPunctuation = false, SublinearTf = false, MinDocumentFrequency = 1 }),
};
var only = args.Length > 3 ? args[3].Split(',').Select(int.Parse).ToHashSet() : null;
var iterations = args.Length > 5 ? args[5].Split(',').Select(int.Parse).ToArray() : [300];
var cs = args.Length > 4 ? args[4].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [1, 10, 100];
for (var i = 0; i < configs.Length; i++)
{
    if (only is not null && !only.Contains(i))
        continue;
    foreach (var c in cs)
    foreach (var maxIterations in iterations)
    {
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var (model, _) = BaselineTrainer.Fit(texts, trainIds, labels.Labels, configs[i].Options with { CandidateC = [c], MaxIterations = maxIterations });
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        var v = model.Evaluate(validation);
        var t = model.Evaluate(test);
        Console.WriteLine($"{configs[i].Name,-34} C {c,6} it {maxIterations,3} features {model.FeatureCount,8} fit {seconds,6:F1} s (cpu {cpuSeconds,5:F1} s)  val acc {F(v.Accuracy)} f1 {F(v.MacroF1)}  test acc {F(t.Accuracy)} f1 {F(t.MacroF1)}");
    }
}
