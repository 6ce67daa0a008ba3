// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.24;

import "./Owned.sol";

/// Devnet task queue with the external interface of the 2024 TaskQueue (SPEC §3.2, §3.5).
/// It only stores queued tasks; the Task contract holds the fees and decides the order
/// (highest price first, price 0 never).
contract TaskQueue is CalledByTask {
    struct QueuedTask {
        uint256 id;
        uint256 taskType;
        address creator;
        bytes32 taskHash;
        bytes32 dataHash;
        uint256 vramLimit;
        uint256 taskFee;
        uint256 price;
    }

    uint256 private sizeLimit = 50;
    uint256[] private ids;
    mapping(uint256 => uint256) private pos; // index + 1
    mapping(uint256 => QueuedTask) private tasks;

    function updateSizeLimit(uint256 limit) external onlyOwner {
        sizeLimit = limit;
    }

    function getSizeLimit() external view returns (uint256) {
        return sizeLimit;
    }

    function size() external view returns (uint256) {
        return ids.length;
    }

    function include(uint256 taskId) external view returns (bool) {
        return pos[taskId] != 0;
    }

    /// All queued tasks, in no particular order.
    function getTasks() external view returns (QueuedTask[] memory out) {
        out = new QueuedTask[](ids.length);
        for (uint256 i = 0; i < ids.length; i++) out[i] = tasks[ids[i]];
    }

    function pushTask(
        uint256 taskId,
        uint256 taskType,
        address creator,
        bytes32 taskHash,
        bytes32 dataHash,
        uint256 vramLimit,
        uint256 taskFee,
        uint256 price
    ) external onlyTask {
        require(ids.length < sizeLimit, "Task queue is full");
        tasks[taskId] = QueuedTask(taskId, taskType, creator, taskHash, dataHash, vramLimit, taskFee, price);
        ids.push(taskId);
        pos[taskId] = ids.length;
    }

    function removeTask(uint256 taskId) external onlyTask returns (QueuedTask memory t) {
        require(pos[taskId] != 0, "Task not exist");
        return _remove(taskId);
    }

    /// Lowest price first; among equal prices the newest goes (SPEC §3.5 eviction).
    function removeCheapestTask() external onlyTask returns (QueuedTask memory) {
        require(ids.length > 0, "No available task");
        uint256 cheapest = ids[0];
        for (uint256 i = 1; i < ids.length; i++) {
            uint256 id = ids[i];
            if (tasks[id].price < tasks[cheapest].price || (tasks[id].price == tasks[cheapest].price && id > cheapest)) {
                cheapest = id;
            }
        }
        return _remove(cheapest);
    }

    function _remove(uint256 taskId) private returns (QueuedTask memory t) {
        t = tasks[taskId];
        uint256 p = pos[taskId];
        uint256 last = ids[ids.length - 1];
        ids[p - 1] = last;
        pos[last] = p;
        ids.pop();
        delete pos[taskId];
        delete tasks[taskId];
    }
}
