using Platform.Training.Pretraining;

namespace Platform.Training.Tests.Pretraining;

public sealed class SequencePackerTests
{
    private const int Cls = 2;
    private const int Sep = 3;

    // Ids of 100 and above are "##" pieces.
    private static bool IsContinuation(int id) => id >= 100;

    [Fact]
    public void Pack_ShortDocuments_FillsSequencesUpToMaxLength()
    {
        int[][] documents = [[10, 11], [12], [13, 14, 15], [16, 17]];

        var sequences = SequencePacker.Pack(documents, maxLength: 8, pack: true, Cls, Sep, IsContinuation);

        Assert.Equal(2, sequences.Count);
        Assert.Equal([Cls, 10, 11, Sep, 12, Sep], sequences[0]);
        Assert.Equal([Cls, 13, 14, 15, Sep, 16, 17, Sep], sequences[1]);
    }

    [Fact]
    public void Pack_WithoutPacking_OneDocumentPerSequence()
    {
        int[][] documents = [[10, 11], [], [12]];

        var sequences = SequencePacker.Pack(documents, maxLength: 8, pack: false, Cls, Sep, IsContinuation);

        Assert.Equal([[Cls, 10, 11, Sep], [Cls, 12, Sep]], sequences);
    }

    [Fact]
    public void Pack_LongDocument_CutsAtWordStarts()
    {
        // Words: 10 101 | 11 | 12 102 103 | 13 | 14 104
        int[][] documents = [[10, 101, 11, 12, 102, 103, 13, 14, 104]];

        var sequences = SequencePacker.Pack(documents, maxLength: 7, pack: false, Cls, Sep, IsContinuation);

        // Room for 5 tokens: the cut after 5 would split "12 102 103", so it moves back to before 12.
        Assert.Equal([[Cls, 10, 101, 11, Sep], [Cls, 12, 102, 103, 13, Sep], [Cls, 14, 104, Sep]], sequences);
        Assert.All(sequences, s => Assert.True(s.Length <= 7));
    }

    [Fact]
    public void Pack_LongDocumentWithPacking_FillsTheRestOfTheCurrentSequenceFirst()
    {
        // Room for 8 tokens per sequence; after "10 11" 5 are left, enough to start the long document there.
        int[][] documents = [[10, 11], [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30], [40]];

        var sequences = SequencePacker.Pack(documents, maxLength: 10, pack: true, Cls, Sep, IsContinuation);

        Assert.Equal([[Cls, 10, 11, Sep, 20, 21, 22, 23, 24, Sep], [Cls, 25, 26, 27, 28, 29, 30, Sep, 40, Sep]], sequences);
    }

    [Fact]
    public void Pack_LongDocumentAfterANearlyFullSequence_StartsAFreshOne()
    {
        int[][] documents = [[10, 11, 12, 13, 14, 15], [20, 21, 22, 23, 24, 25, 26, 27, 28]];

        var sequences = SequencePacker.Pack(documents, maxLength: 10, pack: true, Cls, Sep, IsContinuation);

        Assert.Equal([[Cls, 10, 11, 12, 13, 14, 15, Sep], [Cls, 20, 21, 22, 23, 24, 25, 26, 27, Sep], [Cls, 28, Sep]], sequences);
    }

    [Fact]
    public void Pack_WordLongerThanASequence_IsCutWhereTheRoomEnds()
    {
        int[][] documents = [[10, 101, 102, 103, 104, 105, 106]];

        var sequences = SequencePacker.Pack(documents, maxLength: 5, pack: true, Cls, Sep, IsContinuation);

        Assert.Equal([[Cls, 10, 101, 102, Sep], [Cls, 103, 104, 105, Sep], [Cls, 106, Sep]], sequences);
    }
}
