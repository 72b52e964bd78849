using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Platform.Training.Tests.Common;
using Platform.Training.Tokenization;

namespace Platform.Training.Tests.Tokenization;

/// <summary>Differential test against a Python transcription of Hugging Face's BertTokenizer logic.</summary>
public sealed class ReferenceTokenizerTests
{
    [Fact]
    public void Tokenize_RandomUnicodeTexts_MatchesReference()
    {
        using var dir = new TestDirectory();
        var output = dir.File("reference.json");
        RunReference(output, count: 3000, seed: 7);
        using var document = JsonDocument.Parse(File.ReadAllBytes(output));
        var root = document.RootElement;
        var vocabulary = new WordPieceVocabulary(root.GetProperty("vocab").EnumerateArray().Select(e => e.GetString()!));
        var uncased = new BertTokenizer(vocabulary);
        var cased = new BertTokenizer(vocabulary, new BertTokenizerOptions { LowerCase = false });

        var mismatches = new List<string>();
        foreach (var testCase in root.GetProperty("cases").EnumerateArray())
        {
            var text = testCase.GetProperty("text").GetString()!;
            Compare(text, "uncased words", Strings(testCase, "uncased_words"), uncased.BasicTokenize(text), mismatches);
            Compare(text, "uncased pieces", Strings(testCase, "uncased_pieces"), uncased.Tokenize(text), mismatches);
            Compare(text, "cased words", Strings(testCase, "cased_words"), cased.BasicTokenize(text), mismatches);
            Compare(text, "cased pieces", Strings(testCase, "cased_pieces"), cased.Tokenize(text), mismatches);
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches.Take(10)));
    }

    private static string[] Strings(JsonElement element, string name) =>
        element.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static void Compare(string text, string what, string[] expected, IReadOnlyList<string> actual, List<string> mismatches)
    {
        if (!expected.SequenceEqual(actual))
        {
            mismatches.Add($"{what} of {JsonSerializer.Serialize(text)}: expected {JsonSerializer.Serialize(expected)}, got {JsonSerializer.Serialize(actual)}");
        }
    }

    internal static void RunReference(string output, int count, int seed, [CallerFilePath] string sourceFile = "")
    {
        var script = Path.Combine(Path.GetDirectoryName(sourceFile)!, "reference_bert_tokenizer.py");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        foreach (var argument in new[] { script, output, count.ToString(), seed.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
    }
}
