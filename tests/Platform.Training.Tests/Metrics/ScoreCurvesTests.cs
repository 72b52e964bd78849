using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Training.Metrics;
using Platform.Training.Tests.Common;
using Platform.Training.Tests.Parity;

namespace Platform.Training.Tests.Metrics;

/// <summary>ROC/AUC and precision-recall checked against scikit-learn (Debian python3-sklearn) on the same logits.</summary>
public sealed class ScoreCurvesTests
{
    public static TheoryData<int, int, int, bool> Cases => new()
    {
        // examples, classes, seed, round the logits so that many scores tie
        { 40, 2, 1, false },
        { 60, 3, 2, true },
        { 150, 4, 3, false },
        { 90, 5, 4, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FromLogits_RandomScores_MatchScikitLearn(int examples, int classes, int seed, bool ties)
    {
        var random = new Random(seed);
        var truth = Enumerable.Range(0, examples).Select(_ => random.Next(classes)).ToArray();
        var logits = new float[examples * classes];
        for (var i = 0; i < examples; i++)
        {
            for (var c = 0; c < classes; c++)
            {
                // Informative but noisy: the true class gets a head start.
                var value = random.NextDouble() * 3 + (truth[i] == c ? 1.2 : 0);
                logits[i * classes + c] = (float)(ties ? Math.Round(value, 1) : value);
            }
        }

        var labels = Enumerable.Range(0, classes).Select(c => $"class{c}").ToArray();
        var metrics = ClassificationMetrics.FromLogits(truth, logits, labels);
        var reference = RunScikitLearn(truth, logits, classes);

        var curves = metrics.Curves!;
        for (var c = 0; c < classes; c++)
        {
            var expected = reference["per_class"]![c]!;
            var actual = curves.PerClass[c];
            Assert.Equal(expected["positives"]!.GetValue<int>(), actual.Positives);
            Assert.Equal(expected["roc_auc"]!.GetValue<double>(), actual.RocAuc!.Value, 12);
            Assert.Equal(expected["roc_auc_score"]!.GetValue<double>(), actual.RocAuc!.Value, 12);
            Assert.Equal(expected["average_precision"]!.GetValue<double>(), actual.AveragePrecision!.Value, 12);
            AssertClose(expected["fpr"]!, actual.Roc.FalsePositiveRate);
            AssertClose(expected["tpr"]!, actual.Roc.TruePositiveRate);
            AssertClose(expected["roc_thresholds"]!, actual.Roc.Thresholds[1..]);
            AssertClose(expected["precision"]!, actual.PrecisionRecall.Precision);
            AssertClose(expected["recall"]!, actual.PrecisionRecall.Recall);
            AssertClose(expected["pr_thresholds"]!, actual.PrecisionRecall.Thresholds);
        }

        Assert.Equal(reference["macro_ovr"]!.GetValue<double>(), curves.MacroRocAuc!.Value, 12);
        Assert.Equal(curves.PerClass.Average(p => p.AveragePrecision!.Value), curves.MacroAveragePrecision!.Value, 12);
        Assert.Equal(metrics.MacroRocAuc, curves.MacroRocAuc);
    }

    [Fact]
    public void FromLogits_ClassAbsentFromSplit_AreaNullAndLeftOutOfMacro()
    {
        // Class 2 never occurs: its AUC and AP are undefined, the macro averages the two that are.
        int[] truth = [0, 1, 0, 1];
        float[] logits = [2, 0, 0, 0, 2, 0, 1, 0, 0, 0, 1, 3];
        var metrics = ClassificationMetrics.FromLogits(truth, logits, ["a", "b", "c"]);

        Assert.Null(metrics.Curves!.PerClass[2].RocAuc);
        Assert.Null(metrics.Curves.PerClass[2].AveragePrecision);
        Assert.Equal(0, metrics.Curves.PerClass[2].Positives);
        Assert.Equal(metrics.Curves.PerClass.Take(2).Average(p => p.RocAuc!.Value), metrics.Curves.MacroRocAuc!.Value, 12);
        // Predictions are the highest logits: rows 0,1,2 right, row 3 says "c".
        Assert.Equal(0.75, metrics.Accuracy);
        // Nothing undefined reaches the file: JSON has no NaN.
        var json = JsonSerializer.Serialize(metrics);
        Assert.DoesNotContain("NaN", json);
        var back = JsonSerializer.Deserialize<ClassificationMetrics>(json)!;
        Assert.Equal(metrics.Curves.MacroRocAuc, back.Curves!.MacroRocAuc);
    }

    [Fact]
    public void FromLogits_LargeSplit_CurvesThinnedAreaFromFullCurve()
    {
        var random = new Random(7);
        var truth = Enumerable.Range(0, 5000).Select(_ => random.Next(2)).ToArray();
        var logits = truth.SelectMany(t => new[] { 0f, (float)(random.NextDouble() + t * 0.5) }).ToArray();
        var metrics = ClassificationMetrics.FromLogits(truth, logits, ["no", "yes"]);
        var reference = RunScikitLearn(truth, logits, 2);

        var yes = metrics.Curves!.PerClass[1];
        Assert.True(yes.Roc.FalsePositiveRate.Length <= ScoreCurves.MaxPoints);
        Assert.True(yes.PrecisionRecall.Precision.Length <= ScoreCurves.MaxPoints);
        Assert.Equal(0, yes.Roc.FalsePositiveRate[0]);
        Assert.Equal(1, yes.Roc.FalsePositiveRate[^1]);
        Assert.Equal(reference["per_class"]![1]!["roc_auc"]!.GetValue<double>(), yes.RocAuc!.Value, 12);
        Assert.Equal(reference["per_class"]![1]!["average_precision"]!.GetValue<double>(), yes.AveragePrecision!.Value, 12);
    }

    private static void AssertClose(JsonNode expected, double[] actual)
    {
        var values = expected.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        Assert.Equal(values.Length, actual.Length);
        for (var i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(values[i] - actual[i]) <= 1e-12, $"point {i}: scikit-learn {values[i]}, platform {actual[i]}");
    }

    private static JsonNode RunScikitLearn(int[] truth, float[] logits, int classes)
    {
        using var dir = new TestDirectory();
        var input = Path.Combine(dir.Path, "in.json");
        var output = Path.Combine(dir.Path, "out.json");
        var rows = Enumerable.Range(0, truth.Length).Select(i => logits.Skip(i * classes).Take(classes).Select(v => (double)v).ToArray()).ToArray();
        File.WriteAllText(input, JsonSerializer.Serialize(new { truth, logits = rows }));
        var info = new ProcessStartInfo(PythonReference.Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { PythonReference.FindScript("curves.py"), input, output }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"scikit-learn reference failed ({process.ExitCode}; is python3-sklearn installed? ./platform setup): {stdout}{stderr.Result}");
        return JsonNode.Parse(File.ReadAllText(output))!;
    }
}
