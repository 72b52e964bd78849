using System.Text;
using System.Text.Json;
using Platform.Training.Baseline;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.Baseline;

public sealed class LinearBaselineTests
{
    [Fact]
    public void Train_SeparableThreeLabels_ClassifiesEveryValidationRow()
    {
        using var dir = new TestDirectory();
        WriteTopicsCsv(dir.File("topics.csv"), perLabel: 30);

        var result = BaselineTrainer.Train(dir.File("topics.csv"), dir.File("baseline"), validationFraction: 0.2);

        Assert.Equal("validation", result.Metrics.Split);
        Assert.Equal(18, result.Metrics.Evaluation.Count);
        Assert.Equal(1.0, result.Metrics.Evaluation.Accuracy);
        Assert.Equal(1.0, result.Metrics.Evaluation.MacroF1);
        Assert.Equal(["billing", "shipping", "technical"], result.Metrics.Evaluation.Labels);
        Assert.Equal(72, result.TrainingRows);
    }

    [Fact]
    public void Train_SameDataTwice_WritesIdenticalFiles()
    {
        using var dir = new TestDirectory();
        TestData.WriteSentimentCsv(dir.File("train.csv"), 80, seed: 3);

        BaselineTrainer.Train(dir.File("train.csv"), dir.File("a"));
        BaselineTrainer.Train(dir.File("train.csv"), dir.File("b"));

        Assert.Equal(File.ReadAllBytes(dir.File("a/model.safetensors")), File.ReadAllBytes(dir.File("b/model.safetensors")));
        Assert.Equal(File.ReadAllText(dir.File("a/config.json")), File.ReadAllText(dir.File("b/config.json")));
        Assert.Equal(File.ReadAllText(dir.File("a/metrics.json")), File.ReadAllText(dir.File("b/metrics.json")));
    }

    [Fact]
    public void SaveLoad_RoundTrip_PredictsExactlyTheSame()
    {
        using var dir = new TestDirectory();
        var (texts, labels) = Topics(perLabel: 12);
        var (model, _) = BaselineTrainer.Fit(texts, labels, TopicLabels);
        string[] inputs = ["my invoice was charged twice", "the parcel never arrived!", "app crashes on login", "", "zebra quantum"];

        var before = model.Predict(inputs);
        model.Save(dir.File("baseline"));
        var loaded = LinearTextClassifier.Load(dir.File("baseline"));
        var after = loaded.Predict(inputs);

        Assert.Equal(model.Labels, loaded.Labels);
        Assert.Equal(model.C, loaded.C);
        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(before[i].Label, after[i].Label);
            Assert.Equal(before[i].Logits, after[i].Logits);
            Assert.Equal(before[i].Scores, after[i].Scores);
        }

        Assert.Equal("billing", after[0].Label);
        Assert.Equal("shipping", after[1].Label);
        Assert.Equal("technical", after[2].Label);
        Assert.All(after, p => Assert.Equal(1.0, p.Scores.Values.Sum(), 6));
    }

    [Fact]
    public void Save_Folder_IsThePlainDocumentedFormat()
    {
        using var dir = new TestDirectory();
        var (texts, labels) = Topics(perLabel: 8);
        var (model, _) = BaselineTrainer.Fit(texts, labels, TopicLabels, new BaselineOptions { CandidateC = [10] });

        model.Save(dir.File("baseline"));

        using var config = JsonDocument.Parse(File.ReadAllText(dir.File("baseline/config.json")));
        var root = config.RootElement;
        Assert.Equal("tfidf_logistic_regression", root.GetProperty("model_type").GetString());
        Assert.Equal("shipping", root.GetProperty("id2label").GetProperty("1").GetString());
        Assert.Equal(10, root.GetProperty("regularization_c").GetDouble());
        var vocabulary = root.GetProperty("word_vocabulary").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Contains("invoice", vocabulary);
        Assert.Contains("!", vocabulary);
        Assert.Contains(vocabulary, term => term!.Split(' ').Length == 2);
        Assert.Equal(vocabulary.Count, root.GetProperty("word_idf").GetArrayLength());
        Assert.Equal(vocabulary.Order(StringComparer.Ordinal), vocabulary);
        Assert.True(LinearTextClassifier.IsModelFolder(dir.File("baseline")));
        var weights = SafeTensorsFile.Read(dir.File("baseline/model.safetensors"));
        Assert.Equal([3L, vocabulary.Count], weights["weight"].Shape);
        Assert.Equal([3L], weights["bias"].Shape);
    }

    [Fact]
    public void Predict_CaseAndPunctuationSpacing_ReadAsBertsBasicTokenizerDoes()
    {
        var (texts, labels) = Topics(perLabel: 12);
        var (model, _) = BaselineTrainer.Fit(texts, labels, TopicLabels, new BaselineOptions { CandidateC = [10] });

        var predictions = model.Predict(["The parcel, never ARRIVED!", "the parcel , never arrived !", "thé parcel, never arrived!"]);

        Assert.Equal(predictions[0].Logits, predictions[1].Logits);
        // Accents are stripped with lower-casing, as BERT's uncased basic tokenizer does.
        Assert.Equal(predictions[0].Logits, predictions[2].Logits);
    }

    [Fact]
    public void Train_FixedSplit_FitsOnTrainRowsOnly()
    {
        using var dir = new TestDirectory();
        var (texts, labels) = Topics(perLabel: 10);
        var split = DataSplit.Stratified(labels, 0.3, seed: 5);
        WriteCsv(dir.File("a.csv"), texts, labels);
        // The same training rows, with every validation text replaced: the model must not change.
        var changed = texts.Select((t, i) => split.Validation.Contains(i) ? $"unrelated words {i} here" : t).ToArray();
        WriteCsv(dir.File("b.csv"), changed, labels);

        var a = BaselineTrainer.Train(dir.File("a.csv"), dir.File("a"), split);
        var b = BaselineTrainer.Train(dir.File("b.csv"), dir.File("b"), split);

        Assert.Equal(split.Validation.Length, a.Metrics.Evaluation.Count);
        Assert.Equal(split.Train.Length, a.TrainingRows);
        Assert.Equal(File.ReadAllBytes(dir.File("a/model.safetensors")), File.ReadAllBytes(dir.File("b/model.safetensors")));
        Assert.Equal(a.C, b.C);
        Assert.NotEqual(a.Metrics.Evaluation.Accuracy, b.Metrics.Evaluation.Accuracy);
    }

    [Fact]
    public void Train_NoFixedSplit_UsesTheTrainersStratifiedSplit()
    {
        using var dir = new TestDirectory();
        TestData.WriteSentimentCsv(dir.File("train.csv"), 50);
        var examples = TextDataset.LoadCsv(dir.File("train.csv"));
        var labels = LabelVocabulary.FromData(examples.Select(e => e.Label!));
        var expected = DataSplit.Stratified(examples.Select(e => labels.GetId(e.Label!)).ToArray(), 0.2, seed: 9);

        var result = BaselineTrainer.Train(dir.File("train.csv"), dir.File("baseline"), validationFraction: 0.2, options: new BaselineOptions { Seed = 9 });

        Assert.Equal(expected.Validation.Length, result.Metrics.Evaluation.Count);
        Assert.Equal(expected.Train.Length, result.TrainingRows);
        Assert.Equal(expected.Validation.Select(i => examples[i].Label).Count(l => l == "pos"),
            result.Metrics.Evaluation.PerClass.Single(c => c.Label == "pos").Support);
    }

    [Fact]
    public void Fit_CandidateGrid_ChoosesTheBestCrossValidatedC()
    {
        // Imbalanced (billing 3:1), so that a penalty strong enough to flatten the weights leaves only the bias.
        var (all, allLabels) = Topics(perLabel: 18);
        var keep = Enumerable.Range(0, all.Length).Where(i => allLabels[i] == 0 || i / 3 % 3 == 0).ToArray();
        var texts = keep.Select(i => all[i]).ToArray();
        var labels = keep.Select(i => allLabels[i]).ToArray();

        var (model, selection) = BaselineTrainer.Fit(texts, labels, TopicLabels, new BaselineOptions { CandidateC = [100, 0.001, 1] });

        Assert.Equal([0.001, 1, 100], selection.Select(s => s.C));
        var best = selection.Max(s => s.MacroF1);
        Assert.Equal(selection.Where(s => s.MacroF1 >= best - 1e-9).Min(s => s.C), model.C);
        // So strong a penalty cannot separate the labels: the grid had a real choice to make.
        Assert.True(selection[0].MacroF1 < best);
    }

    [Fact]
    public void Load_BertFolder_IsRefusedWithTheReason()
    {
        using var dir = new TestDirectory();
        Directory.CreateDirectory(dir.File("bert"));
        TestData.WriteTinyBertConfig(dir.File("bert/config.json"));
        File.WriteAllBytes(dir.File("bert/model.safetensors"), []);

        var error = Assert.Throws<InvalidDataException>(() => LinearTextClassifier.Load(dir.File("bert")));

        Assert.Contains("model_type is 'bert'", error.Message);
        Assert.False(LinearTextClassifier.IsModelFolder(dir.File("bert")));
    }

    [Fact]
    public void Evaluate_LabelTheModelDoesNotKnow_IsAnError()
    {
        var (texts, labels) = Topics(perLabel: 6);
        var (model, _) = BaselineTrainer.Fit(texts, labels, TopicLabels, new BaselineOptions { CandidateC = [1] });

        var error = Assert.Throws<InvalidDataException>(() => model.Evaluate([new TextExample("refund please", "refunds", 2)]));

        Assert.Contains("unknown label 'refunds'", error.Message);
    }

    private static readonly string[] TopicLabels = ["billing", "shipping", "technical"];

    private static readonly string[][] TopicWords =
    [
        ["invoice", "charged", "refund", "payment", "billing", "price"],
        ["parcel", "delivery", "arrived", "courier", "tracking", "shipped"],
        ["crashes", "login", "error", "password", "app", "bug"],
    ];

    private static readonly string[] Filler = ["my", "the", "was", "please", "help", "today", "again", "why"];

    /// <summary>Short tickets whose label follows the topic words in them; the filler is shared by all labels.</summary>
    private static (string[] Texts, int[] Labels) Topics(int perLabel, int seed = 1)
    {
        var random = new Random(seed);
        var texts = new List<string>();
        var labels = new List<int>();
        for (var i = 0; i < perLabel; i++)
        {
            for (var label = 0; label < TopicWords.Length; label++)
            {
                string Pick(string[] words) => words[random.Next(words.Length)];
                texts.Add($"{Pick(Filler)} {Pick(TopicWords[label])} {Pick(Filler)} {Pick(TopicWords[label])}{(i % 2 == 0 ? "!" : ".")}");
                labels.Add(label);
            }
        }

        return ([.. texts], [.. labels]);
    }

    private static void WriteTopicsCsv(string path, int perLabel)
    {
        var (texts, labels) = Topics(perLabel);
        WriteCsv(path, texts, labels);
    }

    private static void WriteCsv(string path, IReadOnlyList<string> texts, IReadOnlyList<int> labels)
    {
        var csv = new StringBuilder("text,label\n");
        for (var i = 0; i < texts.Count; i++)
            csv.Append('"').Append(texts[i].Replace("\"", "\"\"")).Append("\",").Append(TopicLabels[labels[i]]).Append('\n');
        File.WriteAllText(path, csv.ToString());
    }
}
