#include "ledger/merkle.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crypto/crypto.h"

namespace forewarn::ledger {
namespace {

// crypto::Initialize() must run once before any hashing; a global environment covers both the
// TEST and the RC_GTEST_PROP cases (the latter cannot have a fixture SetUpTestSuite).
class CryptoEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { ASSERT_TRUE(crypto::Initialize().has_value()); }
};
::testing::Environment* const kCryptoEnvironment =
    ::testing::AddGlobalTestEnvironment(new CryptoEnvironment);

// Raw bytes from published hex; fails the current test on malformed hex.
std::string Bytes(std::string_view hex) {
  Result<std::string> raw = crypto::FromHex(hex);
  EXPECT_TRUE(raw.has_value()) << hex;
  return raw.value_or(std::string());
}

std::string FlipBit(std::string s, size_t bit) {
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Reference implementations, written directly from the recursive definitions of RFC 9162
// §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (PROOF/SUBPROOF) over the leaf data, with no
// stored nodes. The code under test must agree with them.

uint64_t RefSplit(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

std::string RefMth(std::span<const std::string> d) {
  if (d.empty()) return crypto::Sha256("");
  if (d.size() == 1) return LeafHash(d[0]);
  const uint64_t k = RefSplit(d.size());
  return NodeHash(RefMth(d.subspan(0, k)), RefMth(d.subspan(k)));
}

std::vector<std::string> RefPath(uint64_t m, std::span<const std::string> d) {
  if (d.size() <= 1) return {};
  const uint64_t k = RefSplit(d.size());
  std::vector<std::string> path;
  if (m < k) {
    path = RefPath(m, d.subspan(0, k));
    path.push_back(RefMth(d.subspan(k)));
  } else {
    path = RefPath(m - k, d.subspan(k));
    path.push_back(RefMth(d.subspan(0, k)));
  }
  return path;
}

std::vector<std::string> RefSubproof(uint64_t m, std::span<const std::string> d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {RefMth(d)};
  }
  const uint64_t k = RefSplit(d.size());
  std::vector<std::string> proof;
  if (m <= k) {
    proof = RefSubproof(m, d.subspan(0, k), b);
    proof.push_back(RefMth(d.subspan(k)));
  } else {
    proof = RefSubproof(m - k, d.subspan(k), false);
    proof.push_back(RefMth(d.subspan(0, k)));
  }
  return proof;
}

// Distinct leaves (so that no two subtrees collide and every tampering must be detected).
std::vector<std::string> DistinctLeaves(const std::string& salt, uint64_t n) {
  std::vector<std::string> leaves;
  leaves.reserve(n);
  for (uint64_t i = 0; i < n; ++i) leaves.push_back(salt + "#" + std::to_string(i));
  return leaves;
}

MemoryTree TreeOf(const std::vector<std::string>& leaves) {
  MemoryTree tree;
  for (const std::string& leaf : leaves) tree.Append(leaf);
  return tree;
}

// A reader that counts calls and can be told to fail.
class CountingReader final : public NodeReader {
 public:
  explicit CountingReader(MemoryTree& tree) : tree_(tree) {}
  Result<std::string> Node(int level, uint64_t index) override {
    ++calls;
    if (fail) return Fail(ErrorCode::kUnavailable, "storage down");
    return tree_.Node(level, index);
  }
  int calls = 0;
  bool fail = false;

 private:
  MemoryTree& tree_;
};

// ---------------------------------------------------------------------------------------------
// Known-answer vectors. Sources (see docs/ledger-test-vectors.md for details):
//  [CT]  google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc
//        @ c25edc2cced17500dec7bdc4e1fb51e9aeca5683 (kInputs, kSHA256Roots, kSHA256Paths,
//        kSHA256Proofs; its paths use 1-based leaf numbers, converted to 0-based indices here).
//  [TD]  transparency-dev/merkle, log_verifier_test.go
//        @ 24812aa171badc68c621b6cab6910481b8e87af0 (the same vectors, independently stored).
//  [TDH] transparency-dev/merkle, rfc6962/rfc6962_test.go
//        @ 78493b07ef9b552e3379abf9e23d4da26fbe797c (hasher vectors).
//  [TDP] transparency-dev/merkle, proof/proof_test.go
//        @ 8554bcb10a1221a6cf6746acec96aa930c94fb49 (which stored nodes make up each proof).
//  [TDN] transparency-dev/merkle, testonly/constants.go
//        @ 77f1b57d7aa25fcd2e51273166b6b2b0e74923b1 (NodeHashes: every perfect-subtree hash of
//        the 8-leaf tree, indexed [level][index] exactly like our storage model).

constexpr std::string_view kEmptyTreeHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

constexpr std::string_view kInputsHex[8] = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

constexpr std::string_view kRootsHex[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

// [TDN] NodeHashes(): entry [level] lists nodes (level, 0), (level, 1), ...
const std::vector<std::vector<std::string_view>>& NodeVectors() {
  static const auto* const kNodes = new std::vector<std::vector<std::string_view>>{
      {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
       "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
       "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
       "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
       "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
       "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
       "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
       "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"},
      {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
       "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"},
      {"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"},
      {"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"},
  };
  return *kNodes;
}

struct InclusionVector {
  uint64_t index;  // 0-based ([CT] leaf number - 1)
  uint64_t tree_size;
  std::vector<std::string_view> path_hex;
};

const std::vector<InclusionVector>& InclusionVectors() {
  static const auto* const kVectors = new std::vector<InclusionVector>{
      {0, 1, {}},
      {0,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {5,
       8,
       {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
      {1,
       5,
       {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  return *kVectors;
}

struct ConsistencyVector {
  uint64_t first;
  uint64_t second;
  std::vector<std::string_view> proof_hex;
};

const std::vector<ConsistencyVector>& ConsistencyVectors() {
  static const auto* const kVectors = new std::vector<ConsistencyVector>{
      {1, 1, {}},
      {1,
       8,
       {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
      {6,
       8,
       {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
      {2,
       5,
       {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
  };
  return *kVectors;
}

MemoryTree ReferenceTree(uint64_t size) {
  MemoryTree tree;
  for (uint64_t i = 0; i < size; ++i) tree.Append(Bytes(kInputsHex[i]));
  return tree;
}

std::vector<std::string> ToBytes(const std::vector<std::string_view>& hexes) {
  std::vector<std::string> out;
  for (std::string_view h : hexes) out.push_back(Bytes(h));
  return out;
}

TEST(MerkleKnownAnswer, Hashers) {  // [TDH]
  EXPECT_EQ(crypto::Hex(EmptyRoot()), kEmptyTreeHash);
  EXPECT_EQ(crypto::Hex(LeafHash("")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(crypto::Hex(LeafHash("L123456")),
            "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
  EXPECT_EQ(crypto::Hex(NodeHash("N123", "N456")),
            "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
}

TEST(MerkleKnownAnswer, RootsForSizesOneToEight) {  // [CT] kSHA256Roots, [TD] roots
  MemoryTree tree;
  Result<std::string> empty = RootHash(0, tree);
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(crypto::Hex(*empty), kEmptyTreeHash);
  for (uint64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(tree.Append(Bytes(kInputsHex[i])), i);
    // Every earlier size is still reproducible from the bigger tree's stored nodes.
    for (uint64_t size = 1; size <= i + 1; ++size) {
      Result<std::string> root = RootHash(size, tree);
      ASSERT_TRUE(root.has_value()) << size;
      EXPECT_EQ(crypto::Hex(*root), kRootsHex[size - 1]) << "size " << size;
    }
  }
}

TEST(MerkleKnownAnswer, StoredNodesMatchPublishedNodeHashes) {  // [TDN]
  const std::vector<std::vector<std::string_view>>& nodes = NodeVectors();
  MemoryTree tree;
  for (uint64_t i = 0; i < 8; ++i) {
    // The writes for leaf i are exactly the published nodes it completes, bottom-up.
    Result<std::vector<NodeWrite>> writes =
        NodesCompletedByAppend(i, LeafHash(Bytes(kInputsHex[i])), tree);
    ASSERT_TRUE(writes.has_value());
    std::vector<NodeWrite> want;
    for (int level = 0; level <= std::countr_one(i); ++level) {
      const uint64_t index = i >> level;
      want.push_back({level, index, Bytes(nodes[static_cast<size_t>(level)][index])});
    }
    EXPECT_EQ(*writes, want) << "leaf " << i;
    ASSERT_EQ(tree.Append(Bytes(kInputsHex[i])), i);
  }
  for (size_t level = 0; level < nodes.size(); ++level) {
    for (size_t index = 0; index < nodes[level].size(); ++index) {
      Result<std::string> hash = tree.Node(static_cast<int>(level), index);
      ASSERT_TRUE(hash.has_value()) << level << "," << index;
      EXPECT_EQ(crypto::Hex(*hash), nodes[level][index]) << level << "," << index;
    }
  }
  EXPECT_FALSE(tree.Node(4, 0).has_value());
}

TEST(MerkleKnownAnswer, InclusionPaths) {  // [CT] kSHA256Paths, [TD] inclusionProofs
  MemoryTree tree = ReferenceTree(8);
  for (const InclusionVector& v : InclusionVectors()) {
    SCOPED_TRACE(::testing::Message() << "index " << v.index << " size " << v.tree_size);
    Result<std::vector<std::string>> proof = InclusionProof(v.index, v.tree_size, tree);
    ASSERT_TRUE(proof.has_value());
    const std::vector<std::string> want = ToBytes(v.path_hex);
    EXPECT_EQ(*proof, want);

    const std::string root = Bytes(kRootsHex[v.tree_size - 1]);
    const std::string leaf = LeafHash(Bytes(kInputsHex[v.index]));
    EXPECT_TRUE(VerifyInclusion(leaf, v.index, v.tree_size, want, root));
    // The corruptions of [CT] VerifierCheck / [TD] corruptInclusionProof.
    if (v.index > 0) {
      EXPECT_FALSE(VerifyInclusion(leaf, v.index - 1, v.tree_size, want, root));
    }
    EXPECT_FALSE(VerifyInclusion(leaf, v.index + 1, v.tree_size, want, root));
    EXPECT_FALSE(VerifyInclusion(leaf, v.index ^ 2, v.tree_size, want, root));
    EXPECT_FALSE(VerifyInclusion(leaf, v.index, v.tree_size * 2, want, root));
    EXPECT_FALSE(VerifyInclusion(leaf, v.index, v.tree_size / 2, want, root));
    EXPECT_FALSE(VerifyInclusion(LeafHash("WrongLeaf"), v.index, v.tree_size, want, root));
    EXPECT_FALSE(VerifyInclusion(leaf, v.index, v.tree_size, want, Bytes(kEmptyTreeHash)));
    std::vector<std::string> longer = want;
    longer.push_back(root);
    EXPECT_FALSE(VerifyInclusion(leaf, v.index, v.tree_size, longer, root));
    longer.pop_back();
    longer.insert(longer.begin(), root);
    EXPECT_FALSE(VerifyInclusion(leaf, v.index, v.tree_size, longer, root));
    for (size_t j = 0; j < want.size(); ++j) {
      std::vector<std::string> wrong = want;
      wrong[j] = Bytes(kEmptyTreeHash);
      EXPECT_FALSE(VerifyInclusion(leaf, v.index, v.tree_size, wrong, root)) << j;
    }
    if (!want.empty()) {
      std::vector<std::string> shorter(want.begin(), want.end() - 1);
      EXPECT_FALSE(VerifyInclusion(leaf, v.index, v.tree_size, shorter, root));
    }
  }
}

TEST(MerkleKnownAnswer, ConsistencyProofs) {  // [CT] kSHA256Proofs, [TD] consistencyProofs
  MemoryTree tree = ReferenceTree(8);
  for (const ConsistencyVector& v : ConsistencyVectors()) {
    SCOPED_TRACE(::testing::Message() << "first " << v.first << " second " << v.second);
    Result<std::vector<std::string>> proof = ConsistencyProof(v.first, v.second, tree);
    ASSERT_TRUE(proof.has_value());
    const std::vector<std::string> want = ToBytes(v.proof_hex);
    EXPECT_EQ(*proof, want);

    const std::string root1 = Bytes(kRootsHex[v.first - 1]);
    const std::string root2 = Bytes(kRootsHex[v.second - 1]);
    EXPECT_TRUE(VerifyConsistency(v.first, v.second, root1, root2, want));
    if (want.empty()) continue;
    // The corruptions of [CT] VerifierConsistencyCheck / [TD] corruptConsistencyProof.
    EXPECT_FALSE(VerifyConsistency(v.first - 1, v.second, root1, root2, want));
    EXPECT_FALSE(VerifyConsistency(v.first + 1, v.second, root1, root2, want));
    EXPECT_FALSE(VerifyConsistency(v.first ^ 2, v.second, root1, root2, want));
    EXPECT_FALSE(VerifyConsistency(v.first, v.second * 2, root1, root2, want));
    EXPECT_FALSE(VerifyConsistency(v.first, v.second / 2, root1, root2, want));
    EXPECT_FALSE(VerifyConsistency(v.first, v.second, root2, root1, want));
    EXPECT_FALSE(VerifyConsistency(v.first, v.second, root1, Bytes(kEmptyTreeHash), want));
    EXPECT_FALSE(VerifyConsistency(v.first, v.second, Bytes(kEmptyTreeHash), root2, want));
    EXPECT_FALSE(VerifyConsistency(v.first, v.second, root1, root2, {}));
    for (size_t j = 0; j < want.size(); ++j) {
      std::vector<std::string> wrong = want;
      wrong[j] = FlipBit(wrong[j], 4);
      EXPECT_FALSE(VerifyConsistency(v.first, v.second, root1, root2, wrong)) << j;
    }
    std::vector<std::string> wrong = want;
    wrong.push_back(want.back());
    EXPECT_FALSE(VerifyConsistency(v.first, v.second, root1, root2, wrong));
    wrong.pop_back();
    wrong.pop_back();
    EXPECT_FALSE(VerifyConsistency(v.first, v.second, root1, root2, wrong));
    wrong = want;
    wrong.insert(wrong.begin(), want.front());
    EXPECT_FALSE(VerifyConsistency(v.first, v.second, root1, root2, wrong));
  }
}

// [TDP] TestInclusion / TestConsistency list the stored node ids (level, index) that make up
// each proof; "rehash" ranges are combined into one ephemeral node, rightmost-first.
class MerkleProofShape : public ::testing::Test {
 protected:
  std::string N(int level, uint64_t index) {
    Result<std::string> hash = tree_.Node(level, index);
    EXPECT_TRUE(hash.has_value()) << level << "," << index;
    return hash.value_or(std::string());
  }
  std::vector<std::string> Inclusion(uint64_t index, uint64_t size) {
    Result<std::vector<std::string>> proof = InclusionProof(index, size, tree_);
    EXPECT_TRUE(proof.has_value());
    return proof.value_or(std::vector<std::string>{});
  }
  std::vector<std::string> Consistency(uint64_t first, uint64_t second) {
    Result<std::vector<std::string>> proof = ConsistencyProof(first, second, tree_);
    EXPECT_TRUE(proof.has_value());
    return proof.value_or(std::vector<std::string>{});
  }
  void SetUp() override {
    for (const std::string& leaf : DistinctLeaves("shape", 100)) tree_.Append(leaf);
  }
  MemoryTree tree_;
};

TEST_F(MerkleProofShape, Inclusion) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Inclusion(0, 1), V{});
  EXPECT_EQ(Inclusion(0, 2), (V{N(0, 1)}));
  EXPECT_EQ(Inclusion(1, 2), (V{N(0, 0)}));
  EXPECT_EQ(Inclusion(1, 3), (V{N(0, 0), N(0, 2)}));
  EXPECT_EQ(Inclusion(0, 7), (V{N(0, 1), N(1, 1), NodeHash(N(1, 2), N(0, 6))}));
  EXPECT_EQ(Inclusion(1, 7), (V{N(0, 0), N(1, 1), NodeHash(N(1, 2), N(0, 6))}));
  EXPECT_EQ(Inclusion(2, 7), (V{N(0, 3), N(1, 0), NodeHash(N(1, 2), N(0, 6))}));
  EXPECT_EQ(Inclusion(3, 7), (V{N(0, 2), N(1, 0), NodeHash(N(1, 2), N(0, 6))}));
  EXPECT_EQ(Inclusion(4, 7), (V{N(0, 5), N(0, 6), N(2, 0)}));
  EXPECT_EQ(Inclusion(5, 7), (V{N(0, 4), N(0, 6), N(2, 0)}));
  EXPECT_EQ(Inclusion(6, 7), (V{N(1, 2), N(2, 0)}));
  EXPECT_EQ(Inclusion(2, 4), (V{N(0, 3), N(1, 0)}));
  EXPECT_EQ(Inclusion(3, 5), (V{N(0, 2), N(1, 0), N(0, 4)}));
  EXPECT_EQ(Inclusion(3, 6), (V{N(0, 2), N(1, 0), N(1, 2)}));
  EXPECT_EQ(Inclusion(4, 6), (V{N(0, 5), N(2, 0)}));
  EXPECT_EQ(Inclusion(10, 15), (V{N(0, 11), N(1, 4), NodeHash(N(1, 6), N(0, 14)), N(3, 0)}));
  EXPECT_EQ(Inclusion(24, 31),
            (V{N(0, 25), N(1, 13), NodeHash(N(1, 14), N(0, 30)), N(3, 2), N(4, 0)}));
  EXPECT_EQ(Inclusion(81, 95),
            (V{N(0, 80), N(1, 41), N(2, 21), NodeHash(N(2, 22), NodeHash(N(1, 46), N(0, 94))),
               N(4, 4), N(6, 0)}));
}

TEST_F(MerkleProofShape, Consistency) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Consistency(1, 2), (V{N(0, 1)}));
  EXPECT_EQ(Consistency(1, 4), (V{N(0, 1), N(1, 1)}));
  EXPECT_EQ(Consistency(1, 6), (V{N(0, 1), N(1, 1), N(1, 2)}));
  EXPECT_EQ(Consistency(2, 3), (V{N(0, 2)}));
  EXPECT_EQ(Consistency(2, 8), (V{N(1, 1), N(2, 1)}));
  EXPECT_EQ(Consistency(3, 7), (V{N(0, 2), N(0, 3), N(1, 0), NodeHash(N(1, 2), N(0, 6))}));
  EXPECT_EQ(Consistency(4, 7), (V{NodeHash(N(1, 2), N(0, 6))}));
  EXPECT_EQ(Consistency(5, 7), (V{N(0, 4), N(0, 5), N(0, 6), N(2, 0)}));
  EXPECT_EQ(Consistency(6, 7), (V{N(1, 2), N(0, 6), N(2, 0)}));
  EXPECT_EQ(Consistency(7, 8), (V{N(0, 6), N(0, 7), N(1, 2), N(2, 0)}));
  for (uint64_t size : {1, 2, 3, 4, 5, 7, 8}) EXPECT_EQ(Consistency(size, size), V{});
  EXPECT_EQ(Consistency(2, 4), (V{N(1, 1)}));
  EXPECT_EQ(Consistency(3, 5), (V{N(0, 2), N(0, 3), N(1, 0), N(0, 4)}));
  EXPECT_EQ(Consistency(3, 6), (V{N(0, 2), N(0, 3), N(1, 0), N(1, 2)}));
  EXPECT_EQ(Consistency(4, 6), (V{N(1, 2)}));
  EXPECT_EQ(Consistency(1, 7), (V{N(0, 1), N(1, 1), NodeHash(N(1, 2), N(0, 6))}));
  EXPECT_EQ(Consistency(10, 15), (V{N(1, 4), N(1, 5), NodeHash(N(1, 6), N(0, 14)), N(3, 0)}));
  EXPECT_EQ(Consistency(24, 31),
            (V{N(3, 2), NodeHash(N(2, 6), NodeHash(N(1, 14), N(0, 30))), N(4, 0)}));
  EXPECT_EQ(Consistency(81, 95),
            (V{N(0, 80), N(0, 81), N(1, 41), N(2, 21),
               NodeHash(N(2, 22), NodeHash(N(1, 46), N(0, 94))), N(4, 4), N(6, 0)}));
}

// ---------------------------------------------------------------------------------------------
// Edge cases and errors.

TEST(MerkleErrors, OutOfRangeAndReversedArguments) {
  MemoryTree tree = TreeOf(DistinctLeaves("e", 5));
  for (auto [index, size] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 0}, {1, 0}, {2, 1}, {5, 5}, {8, 7}, {UINT64_MAX, 5}}) {
    Result<std::vector<std::string>> proof = InclusionProof(index, size, tree);
    ASSERT_FALSE(proof.has_value()) << index << "/" << size;
    EXPECT_EQ(proof.error().code, ErrorCode::kInvalidArgument);
  }
  for (auto [first, second] :
       std::vector<std::pair<uint64_t, uint64_t>>{{0, 0}, {0, 5}, {5, 0}, {5, 4}, {9, 8}}) {
    Result<std::vector<std::string>> proof = ConsistencyProof(first, second, tree);
    ASSERT_FALSE(proof.has_value()) << first << "/" << second;
    EXPECT_EQ(proof.error().code, ErrorCode::kInvalidArgument);
  }
  Result<std::string> reversed = SubtreeHash(3, 2, tree);
  ASSERT_FALSE(reversed.has_value());
  EXPECT_EQ(reversed.error().code, ErrorCode::kInvalidArgument);
  Result<std::string> empty_range = SubtreeHash(3, 3, tree);
  ASSERT_TRUE(empty_range.has_value());
  EXPECT_EQ(*empty_range, EmptyRoot());

  Result<std::vector<NodeWrite>> bad_leaf = NodesCompletedByAppend(5, "short", tree);
  ASSERT_FALSE(bad_leaf.has_value());
  EXPECT_EQ(bad_leaf.error().code, ErrorCode::kInvalidArgument);
  Result<uint64_t> bad_append = tree.AppendLeafHash("short");
  ASSERT_FALSE(bad_append.has_value());
  EXPECT_EQ(bad_append.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(tree.size(), 5U);
}

TEST(MerkleErrors, MissingNodesAndReaderFailuresPropagate) {
  MemoryTree tree = TreeOf(DistinctLeaves("m", 5));
  // Beyond the stored tree: the reader's kNotFound comes back unchanged.
  for (Result<std::string> r : {RootHash(6, tree), SubtreeHash(0, 8, tree)}) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  }
  EXPECT_EQ(tree.Node(-1, 0).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tree.Node(3, 0).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tree.Node(1, 2).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(tree.Node(2, 0).has_value());
  EXPECT_EQ(ConsistencyProof(2, 7, tree).error().code, ErrorCode::kNotFound);

  CountingReader reader(tree);
  reader.fail = true;
  EXPECT_EQ(RootHash(5, reader).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(InclusionProof(1, 5, reader).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(ConsistencyProof(2, 5, reader).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(NodesCompletedByAppend(5, LeafHash("x"), reader).error().code, ErrorCode::kUnavailable);
  // An even index completes no parent, so it reads nothing and cannot fail on the reader.
  EXPECT_TRUE(NodesCompletedByAppend(4, LeafHash("x"), reader).has_value());
}

TEST(MerkleVerify, DegenerateInputs) {
  const std::string h = LeafHash("data");
  const std::string e = EmptyRoot();
  // A one-leaf tree: root == leaf hash, empty proof.
  EXPECT_TRUE(VerifyInclusion(h, 0, 1, {}, h));
  EXPECT_FALSE(VerifyInclusion(h, 0, 1, {}, e));
  EXPECT_FALSE(VerifyInclusion("", 0, 1, {}, ""));  // wrong hash size
  EXPECT_FALSE(VerifyInclusion(h, 0, 1, {h}, h));
  for (auto [index, size] :
       std::vector<std::pair<uint64_t, uint64_t>>{{0, 0}, {1, 0}, {2, 1}, {1, 1}}) {
    EXPECT_FALSE(VerifyInclusion(h, index, size, {}, h)) << index << "/" << size;
    EXPECT_FALSE(VerifyInclusion(h, index, size, {}, e)) << index << "/" << size;
  }
  // Short proof elements are rejected even where the arithmetic would not notice.
  EXPECT_FALSE(VerifyInclusion(h, 0, 2, {"x"}, NodeHash(h, "x")));

  // Consistency of equal sizes: empty proof and equal roots only.
  EXPECT_TRUE(VerifyConsistency(1, 1, h, h, {}));
  EXPECT_TRUE(VerifyConsistency(7, 7, e, e, {}));
  EXPECT_FALSE(VerifyConsistency(1, 1, h, e, {}));
  EXPECT_FALSE(VerifyConsistency(1, 1, h, h, {e}));
  EXPECT_FALSE(VerifyConsistency(1, 1, "r", "r", {}));  // wrong hash size
  // From the empty tree, or backwards in time: never valid here.
  EXPECT_FALSE(VerifyConsistency(0, 0, e, e, {}));
  EXPECT_FALSE(VerifyConsistency(0, 1, e, h, {}));
  EXPECT_FALSE(VerifyConsistency(1, 0, h, e, {}));
  EXPECT_FALSE(VerifyConsistency(2, 1, h, e, {}));
  // A real step with no proof.
  EXPECT_FALSE(VerifyConsistency(1, 2, h, NodeHash(h, e), {}));
  EXPECT_TRUE(VerifyConsistency(1, 2, h, NodeHash(h, e), {e}));
}

TEST(MerkleAppend, NodesCompletedByAppendMatchesPerfectSubtrees) {
  MemoryTree tree;
  const std::vector<std::string> leaves = DistinctLeaves("append", 16);
  // Leaf 7 (0b111) completes (0,7), (1,3), (2,1), (3,0).
  for (uint64_t i = 0; i < 7; ++i) tree.Append(leaves[i]);
  Result<std::vector<NodeWrite>> writes = NodesCompletedByAppend(7, LeafHash(leaves[7]), tree);
  ASSERT_TRUE(writes.has_value());
  const std::span<const std::string> all(leaves);
  const std::vector<NodeWrite> want = {
      {0, 7, LeafHash(leaves[7])},
      {1, 3, RefMth(all.subspan(6, 2))},
      {2, 1, RefMth(all.subspan(4, 4))},
      {3, 0, RefMth(all.subspan(0, 8))},
  };
  EXPECT_EQ(*writes, want);
  // Leaf 8 (even) completes only itself.
  tree.Append(leaves[7]);
  writes = NodesCompletedByAppend(8, LeafHash(leaves[8]), tree);
  ASSERT_TRUE(writes.has_value());
  EXPECT_EQ(*writes, (std::vector<NodeWrite>{{0, 8, LeafHash(leaves[8])}}));
}

// The in-memory right edge gives the same root and the same completed nodes as the stored tree,
// for every size from 0 to 300, and reading it back from the tree gives the same edge.
TEST(MerkleAppend, RightEdgeMatchesTheStoredTree) {
  MemoryTree tree;
  RightEdge edge;
  const std::vector<std::string> leaves = DistinctLeaves("edge", 300);
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    ASSERT_EQ(RootOf(edge), RootHash(i, tree).value()) << i;
    Result<RightEdge> read = ReadRightEdge(i, tree);
    ASSERT_TRUE(read.has_value());
    ASSERT_EQ(read->nodes, edge.nodes) << i;
    const std::string leaf_hash = LeafHash(leaves[i]);
    Result<std::vector<NodeWrite>> expected = NodesCompletedByAppend(i, leaf_hash, tree);
    Result<std::vector<NodeWrite>> writes = AppendToRightEdge(edge, leaf_hash);
    ASSERT_TRUE(expected.has_value() && writes.has_value());
    ASSERT_EQ(*writes, *expected) << i;
    tree.Append(leaves[i]);
  }
  EXPECT_EQ(edge.size, 300u);
  EXPECT_FALSE(AppendToRightEdge(edge, "short").has_value());
  EXPECT_EQ(edge.size, 300u);
}

TEST(MerkleAppend, ReaderIsConsultedLogarithmicallyOften) {
  MemoryTree tree;
  CountingReader reader(tree);
  for (uint64_t i = 0; i < 4096; ++i) {
    reader.calls = 0;
    Result<std::vector<NodeWrite>> writes =
        NodesCompletedByAppend(i, LeafHash(std::to_string(i)), reader);
    ASSERT_TRUE(writes.has_value());
    // Exactly one read per completed parent: the number of trailing one bits of the index.
    ASSERT_EQ(reader.calls, static_cast<int>(std::countr_one(i))) << i;
    ASSERT_LE(reader.calls, static_cast<int>(std::bit_width(i))) << i;
    ASSERT_EQ(writes->size(), static_cast<size_t>(reader.calls) + 1);
    ASSERT_EQ(tree.AppendLeafHash(LeafHash(std::to_string(i))).value(), i);

    const uint64_t size = i + 1;
    reader.calls = 0;
    ASSERT_TRUE(RootHash(size, reader).has_value());
    ASSERT_EQ(reader.calls, static_cast<int>(std::popcount(size))) << size;

    // Proofs: O(log² n) at most (in fact far fewer).
    const auto log = static_cast<int>(std::bit_width(size));
    reader.calls = 0;
    ASSERT_TRUE(InclusionProof(i / 3, size, reader).has_value());
    ASSERT_LE(reader.calls, log * (log + 1)) << size;
    reader.calls = 0;
    ASSERT_TRUE(ConsistencyProof(size / 2 + 1, size, reader).has_value());
    ASSERT_LE(reader.calls, log * (log + 1)) << size;
  }
}

// ---------------------------------------------------------------------------------------------
// Properties (rapidcheck): random tree sizes up to 300 with distinct leaves.

// A value drawn uniformly from [lo, hi). rapidcheck's inRange scales its range with the test
// case's size, which would favour small trees; fixing the size covers the whole range evenly.
template <class T>
T Uniform(T lo, T hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(lo, hi));
}

RC_GTEST_PROP(MerkleProperty, RootAndSubtreesMatchRecursiveMth, ()) {
  const auto size = Uniform<uint64_t>(0, 301);
  const auto salt = *rc::gen::arbitrary<std::string>();
  const std::vector<std::string> leaves = DistinctLeaves(salt, size);
  MemoryTree tree = TreeOf(leaves);
  RC_ASSERT(tree.size() == size);
  const std::span<const std::string> all(leaves);
  RC_ASSERT(RootHash(size, tree).value() == RefMth(all));
  // Every earlier tree head too, and an arbitrary (possibly unaligned) range.
  const auto earlier = Uniform<uint64_t>(0, size + 1);
  RC_ASSERT(RootHash(earlier, tree).value() == RefMth(all.subspan(0, earlier)));
  const auto begin = Uniform<uint64_t>(0, size + 1);
  const auto end = Uniform<uint64_t>(begin, size + 1);
  RC_ASSERT(SubtreeHash(begin, end, tree).value() == RefMth(all.subspan(begin, end - begin)));
}

RC_GTEST_PROP(MerkleProperty, InclusionProofVerifiesAndDetectsTampering, ()) {
  const auto size = Uniform<uint64_t>(1, 301);
  const auto index = Uniform<uint64_t>(0, size);
  const auto salt = *rc::gen::arbitrary<std::string>();
  const std::vector<std::string> leaves = DistinctLeaves(salt, size);
  MemoryTree tree = TreeOf(leaves);

  const std::vector<std::string> proof = InclusionProof(index, size, tree).value();
  const std::string root = RootHash(size, tree).value();
  const std::string leaf = LeafHash(leaves[index]);
  RC_ASSERT(proof == RefPath(index, leaves));
  RC_ASSERT(VerifyInclusion(leaf, index, size, proof, root));

  const auto bit = Uniform<size_t>(0, kHashSize * 8);
  RC_ASSERT_FALSE(VerifyInclusion(FlipBit(leaf, bit), index, size, proof, root));
  RC_ASSERT_FALSE(VerifyInclusion(leaf, index, size, proof, FlipBit(root, bit)));
  if (!proof.empty()) {
    const auto at = Uniform<size_t>(0, proof.size());
    std::vector<std::string> altered = proof;
    altered[at] = FlipBit(altered[at], bit);
    RC_ASSERT_FALSE(VerifyInclusion(leaf, index, size, altered, root));
    altered = proof;
    altered.erase(altered.begin() + static_cast<std::ptrdiff_t>(at));
    RC_ASSERT_FALSE(VerifyInclusion(leaf, index, size, altered, root));
  }
  std::vector<std::string> longer = proof;
  longer.push_back(root);
  RC_ASSERT_FALSE(VerifyInclusion(leaf, index, size, longer, root));
  if (size > 1) {
    const uint64_t other = (index + 1 + Uniform<uint64_t>(0, size - 1)) % size;
    RC_ASSERT_FALSE(VerifyInclusion(leaf, other, size, proof, root));
    // The proof is for this leaf only: another leaf at the same index fails.
    RC_ASSERT_FALSE(VerifyInclusion(LeafHash(leaves[other]), index, size, proof, root));
  }
}

RC_GTEST_PROP(MerkleProperty, ConsistencyProofVerifiesAndDetectsTampering, ()) {
  const auto second = Uniform<uint64_t>(1, 301);
  const auto first = Uniform<uint64_t>(1, second + 1);
  const auto salt = *rc::gen::arbitrary<std::string>();
  const std::vector<std::string> leaves = DistinctLeaves(salt, second);
  MemoryTree tree = TreeOf(leaves);

  const std::vector<std::string> proof = ConsistencyProof(first, second, tree).value();
  const std::string root1 = RootHash(first, tree).value();
  const std::string root2 = RootHash(second, tree).value();
  RC_ASSERT(proof == RefSubproof(first, leaves, true));
  RC_ASSERT(VerifyConsistency(first, second, root1, root2, proof));
  RC_ASSERT(proof.empty() == (first == second));

  const auto bit = Uniform<size_t>(0, kHashSize * 8);
  RC_ASSERT_FALSE(VerifyConsistency(first, second, FlipBit(root1, bit), root2, proof));
  RC_ASSERT_FALSE(VerifyConsistency(first, second, root1, FlipBit(root2, bit), proof));
  if (!proof.empty()) {
    const auto at = Uniform<size_t>(0, proof.size());
    std::vector<std::string> altered = proof;
    altered[at] = FlipBit(altered[at], bit);
    RC_ASSERT_FALSE(VerifyConsistency(first, second, root1, root2, altered));
    altered = proof;
    altered.erase(altered.begin() + static_cast<std::ptrdiff_t>(at));
    RC_ASSERT_FALSE(VerifyConsistency(first, second, root1, root2, altered));
    altered = proof;
    altered.push_back(proof.back());
    RC_ASSERT_FALSE(VerifyConsistency(first, second, root1, root2, altered));
    // Another old size (the roots stay those of the real sizes).
    const uint64_t other = 1 + (first + Uniform<uint64_t>(0, second - 1)) % second;
    RC_ASSERT(other != first);
    RC_ASSERT_FALSE(VerifyConsistency(other, second, root1, root2, proof));
  }
}

}  // namespace
}  // namespace forewarn::ledger
