#include "board/image/uf2_writer.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace picohub::board_image {
namespace {

using Page = std::array<std::uint8_t, uf2_page_size>;

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

Result<void> check_regions(std::span<const FlashRegion> regions, const Uf2Options& options) {
  if (regions.empty()) return fail(Errc::invalid_argument, "nothing to write: no flash regions");
  std::vector<const FlashRegion*> sorted;
  for (const auto& region : regions) {
    if (region.bytes.empty()) return fail(Errc::invalid_argument, "a flash region is empty");
    const std::uint64_t end = std::uint64_t{region.address} + region.bytes.size();
    if (region.address < options.flash_base || end > std::uint64_t{options.flash_base} + options.flash_size)
      return fail(Errc::invalid_argument, "a flash region lies outside the flash");
    sorted.push_back(&region);
  }
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->address < b->address; });
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (std::uint64_t{sorted[i - 1]->address} + sorted[i - 1]->bytes.size() > sorted[i]->address)
      return fail(Errc::invalid_argument, "two flash regions overlap");
  return {};
}

void encode_block(std::uint8_t* block, std::uint32_t address, const Page& page, std::uint32_t block_no,
                  std::uint32_t num_blocks, std::uint32_t family_id) {
  std::fill(block, block + uf2_block_size, std::uint8_t{0});
  put_u32(block + uf2_offset::magic_start0, uf2_magic_start0);
  put_u32(block + uf2_offset::magic_start1, uf2_magic_start1);
  put_u32(block + uf2_offset::flags, uf2_flag_family_id_present);
  put_u32(block + uf2_offset::target_address, address);
  put_u32(block + uf2_offset::payload_size, uf2_page_size);
  put_u32(block + uf2_offset::block_no, block_no);
  put_u32(block + uf2_offset::num_blocks, num_blocks);
  put_u32(block + uf2_offset::family_id, family_id);
  std::copy(page.begin(), page.end(), block + uf2_offset::data);
  put_u32(block + uf2_offset::magic_end, uf2_magic_end);
}

}  // namespace

Result<std::vector<std::uint8_t>> write_uf2(std::span<const FlashRegion> regions, const Uf2Options& options) {
  if (auto ok = check_regions(regions, options); !ok) return tl::unexpected(ok.error());
  std::map<std::uint32_t, Page> pages;  // page address -> contents, ordered
  for (const auto& region : regions) {
    for (std::size_t i = 0; i < region.bytes.size(); ++i) {
      const auto address = static_cast<std::uint32_t>(region.address + i);
      const std::uint32_t page_address = address & ~std::uint32_t{uf2_page_size - 1};
      auto [it, fresh] = pages.try_emplace(page_address);
      if (fresh) it->second.fill(0xFF);
      it->second[address - page_address] = region.bytes[i];
    }
  }
  std::vector<std::uint8_t> file(pages.size() * uf2_block_size);
  std::uint32_t block_no = 0;
  const auto num_blocks = static_cast<std::uint32_t>(pages.size());
  for (const auto& [address, page] : pages) {
    encode_block(file.data() + std::size_t{block_no} * uf2_block_size, address, page, block_no, num_blocks,
                 options.family_id);
    ++block_no;
  }
  return file;
}

}  // namespace picohub::board_image
